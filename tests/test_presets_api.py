"""Every preset trains with every loss through the API, its numbers sent as a browser sends them.

A browser sends a number box's 0.0 as the JSON integer 0 (and 10.0 as 10): the wgan-gp preset's
beta1 = 0.0 then reached torch's Adam as an int beside a float beta2, and Adam refused it.
"""
from __future__ import annotations

import html
import os
import re
from typing import Any

import pytest
from gradio_client import Client

from gan_explorer.config import FORM_FIELDS
from gan_explorer.datasets import IMAGES
from gan_explorer.losses import LOSSES
from gan_explorer.presets import preset, presets_of

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # the client must not reach 127.0.0.1 via a proxy

STEPS = 2
pytestmark = pytest.mark.timeout(600)


def as_a_browser_sends(config: dict[str, Any]) -> dict[str, Any]:
    """The form's settings (FORM_FIELDS: the Train tab has no dataset control), whole floats as JSON
    integers, MLP widths as the text box holds them."""
    sent = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in config.items() if k in FORM_FIELDS}
    for name in ("mlp_g_hidden", "mlp_d_hidden"):
        sent[name] = ", ".join(map(str, config[name]))
    return sent


def test_a_browser_sends_whole_floats_as_integers() -> None:
    sent = as_a_browser_sends(preset("wgan-gp").to_dict())
    assert sent["beta1"] == 0 and type(sent["beta1"]) is int  # the case that broke Adam


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False, analytics_enabled=False)


@pytest.mark.parametrize("name", sorted(presets_of(IMAGES)))  # /step trains the Train tab's images
def test_every_preset_trains_with_every_loss_from_browser_values(client: Client, name: str) -> None:
    for loss in LOSSES:
        values = as_a_browser_sends(preset(name).to_dict() | {"loss": loss})
        for _ in range(STEPS):
            outputs = client.predict(**values, api_name="/step")
        status = re.sub(r"<[^>]+>", "", html.unescape(outputs[4]))
        assert re.search(rf"\bStep {STEPS}\b", status), f"{name} with {loss}: {status}"
