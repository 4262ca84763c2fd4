"""The app's input controls: Gradio's own, with the check of a sent value moved to where we can name it.

Gradio 6.31 checks a Number's, a Slider's, a Dropdown's, a Radio's and an UploadButton's value in its
preprocess step, before our handler runs (gradio/blocks.py, Blocks.preprocess_data). A NaN, an inf, a
string or an empty value there reached an API client only as Gradio's opaque "The upstream Gradio app
has raised an exception but has not enabled verbose error reporting", and left a traceback in the server
log. Here preprocess never fails on a user's value:

- Number and Slider hand the value on as it was sent; config.coerce/validate and the handlers check it
  and name the control as the page labels it.
- Dropdown and Radio check that the value is one of their choices (a Radio of digits also takes "3",
  as the API page advertises) and refuse anything else with a gr.Error naming their label.
- UploadButton refuses anything that is not a file uploaded to this server with a gr.Error naming its
  label (Gradio's own check refused it only after its opaque path).

Every such gr.Error has print_exception=False: a user's mistake is not worth a traceback in the log.
In a module of its own because Gradio writes a type stub (.pyi) of the module beside any subclass of
one of its components when it is imported (ignored by git).
"""
from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.data_classes import FileData
from pydantic import ValidationError


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def refuse(label: str | None, message: str) -> gr.Error:
    """The page's message about a control's value, without a traceback in the server log."""
    return gr.Error(f"{label}: {message}" if label else message, print_exception=False)


def chosen(value: Any, choices: dict[str, str], label: str | None) -> str:
    """The value behind a choice's label (a radio's or dropdown's); the value itself is accepted too,
    as an API client may send it."""
    if value in choices.values():
        return value
    if value not in choices:
        raise refuse(label, f"must be one of {', '.join(choices)}; got {_shown(value)}.")
    return choices[value]


class Number(gr.Number):
    """gr.Number whose value reaches the handler as sent (no rounding, no bounds): the handler checks it."""

    def preprocess(self, payload: Any) -> Any:
        return payload


class Slider(gr.Slider):
    """gr.Slider whose value reaches the handler as sent (no bounds check): the handler checks it."""

    def preprocess(self, payload: Any) -> Any:
        return payload


def _one_of_choices(component: gr.Dropdown | gr.Radio, payload: Any) -> Any:
    """The choice `payload` names (by value, or by its text for non-text choices); None stays None."""
    if payload is None:
        return None
    for _, value in component.choices:
        same = type(payload) is type(value) and payload == value
        if same or (isinstance(payload, str) and not isinstance(value, str) and payload == str(value)):
            return value
    choices = ", ".join(str(value) for _, value in component.choices)
    raise refuse(component.label, f"{_shown(payload)} is not one of the choices ({choices}).")


class Dropdown(gr.Dropdown):
    """A single-choice gr.Dropdown that refuses a value outside its choices by its label."""

    def preprocess(self, payload: Any) -> Any:
        return _one_of_choices(self, payload)


class Radio(gr.Radio):
    """gr.Radio that refuses a value outside its choices by its label."""

    def preprocess(self, payload: Any) -> Any:
        return _one_of_choices(self, payload)


class CheckboxGroup(gr.CheckboxGroup):
    """gr.CheckboxGroup that refuses anything but a list of its choices by its label."""

    def preprocess(self, payload: Any) -> Any:
        choices = [value for _, value in self.choices]
        if not isinstance(payload, list) or not all(isinstance(p, str) and p in choices for p in payload):
            raise refuse(self.label, f"choose any of {', '.join(map(str, choices))}; got {_shown(payload)}.")
        return payload


class UploadButton(gr.UploadButton):
    """A single-file gr.UploadButton (type "filepath") that refuses what is not an uploaded file by its label."""

    def __init__(self, label: str = "Upload a File", **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        # Gradio validates the payload against FileData before preprocess, where a failure is opaque;
        # preprocess below does the same validation (meta included) and says what is wrong.
        self.data_model = None

    def get_block_name(self) -> str:
        return "uploadbutton"  # the browser draws it with Gradio's own upload button

    def get_config(self, cls: type | None = None) -> dict[str, Any]:
        # Gradio sends the browser the attributes named in __init__'s signature: gr.UploadButton's.
        return super().get_config(cls or gr.UploadButton)

    def preprocess(self, payload: Any) -> str | None:
        if payload is None:
            return None
        try:  # as Gradio does: only a file object marked as one has been through its upload-folder check
            file = FileData.model_validate(payload, context={"validate_meta": True})
        except ValidationError:
            raise refuse(self.label, f"expected a file uploaded to this server; got {_shown(payload)}.") from None
        return super().preprocess(file)
