"""One reading of whole numbers and comma lists for the library, the app and the CLI; messages say what is wanted."""
from __future__ import annotations

import argparse
import math

import numpy as np
import pytest

from gan_explorer.cli_args import int_tuple
from gan_explorer.config import ConfigError, coerce
from gan_explorer.parsing import InputError, number_list, number_text, whole_number
from gan_explorer.ui.explore_tab import parse_z


def test_a_whole_float_counts_as_a_whole_number_unless_the_caller_must_pass_an_int() -> None:
    assert whole_number("Steps", 5.0, 1, 10) == 5 and type(whole_number("Steps", 5.0, 1, 10)) is int
    assert whole_number("Steps", np.int64(7), 1, 10) == 7
    with pytest.raises(InputError, match="Steps must be a whole number from 1 to 10; got 5.0."):
        whole_number("Steps", 5.0, 1, 10, strict=True)


@pytest.mark.parametrize("value", [True, 1.5, "5", None, math.nan, 0, 11])
def test_anything_else_is_refused_naming_the_setting_and_its_range(value) -> None:
    with pytest.raises(InputError, match=r"^Steps must be a whole number from 1 to 10 \(a why\); got "):
        whole_number("Steps", value, 1, 10, why=" (a why)")


def test_a_refused_value_is_quoted_short() -> None:
    with pytest.raises(InputError) as info:
        whole_number("Seed", "x" * 10_000, 0, 10)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("n, text", [(5000, "5000"), (10_000, "10,000"), (-10_000, "-10,000"),
                                     (2**31 - 1, "2**31 - 1"), (2**63 - 1, "2**63 - 1"), (2**31, "2,147,483,648")])
def test_range_ends_read_as_a_person_writes_them(n: int, text: str) -> None:
    assert number_text(n) == text


@pytest.mark.parametrize("text", ["256, 512", "[256, 512]", "256,512,", " 256 ,512"])
def test_the_command_line_and_the_app_read_widths_alike(text: str) -> None:
    assert int_tuple(text) == coerce({"mlp_g_hidden": text})["mlp_g_hidden"] == (256, 512)


def test_the_command_line_refuses_widths_that_are_not_whole_numbers_in_argparses_way() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="comma-separated whole numbers"):
        int_tuple("64,x")


@pytest.mark.parametrize("text, message", [
    ("1, x", "z must be 3 comma-separated numbers"),
    ("1 2, 3", "z must be 3 comma-separated numbers"),  # not read as 12, 3
    (None, "z must be 3 comma-separated numbers"),
    ("1, 2", r"z must have exactly 3 values for this model \(its latent_dim\); got 2"),
    ("1, nan, 3", "finite"),
    ("1, 2, inf", "finite"),
])
def test_a_typed_z_is_refused_saying_what_it_must_be(text, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_z(text, 3)


def test_a_typed_z_is_read_as_floats() -> None:
    assert parse_z(" 0.5, -1,2e-1 ", 3).tolist() == [0.5, -1.0, pytest.approx(0.2)]
    assert number_list("Widths", "[1,2]", int, 2) == (1, 2)


def test_a_setting_error_is_an_input_error() -> None:
    """The app and the CLI show every InputError as a message (config's included), never as a bug."""
    assert issubclass(ConfigError, InputError) and issubclass(InputError, ValueError)
