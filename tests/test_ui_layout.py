"""What the page reads from its URL, and the grid caption that follows the run (no browser needed)."""
from __future__ import annotations

import pytest

from gan_explorer.data import MNISTTensors
from gan_explorer.presets import preset
from gan_explorer.sessions import Session
from gan_explorer.trainer import Trainer
from gan_explorer.ui import live_view
from gan_explorer.ui.link import LinkState, read_link


@pytest.mark.parametrize(("query", "present"), [({}, False), ({"present": "1"}, True), ({"present": "0"}, False),
                                                ({"present": "true"}, True)])
def test_a_link_sets_the_presentation_layout(query: dict[str, str], present: bool) -> None:
    assert read_link(query) == (LinkState(present=present), "")


def test_unknown_or_invalid_link_parameters_are_named_in_one_line_and_ignored() -> None:
    state, notice = read_link({"present": "maybe", "colour": "red", "__theme": "dark"})
    assert state == LinkState()
    assert "present=maybe" in notice and "colour" in notice and "__theme" not in notice and "\n" not in notice


def test_the_grid_caption_speaks_of_digit_columns_only_for_a_conditional_run(mnist: MNISTTensors) -> None:
    session = Session()
    assert "column" not in live_view.live_view(session)[-1]  # no run yet
    for conditional in (True, False):
        session.adopt(Trainer(preset("fast", conditional=conditional), data=mnist))
        assert ("column j draws digit j" in live_view.live_view(session)[-1]) is conditional
        session.trainer.stop()
