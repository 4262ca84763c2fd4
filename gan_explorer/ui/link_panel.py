"""The page's link, both ways: opening a link sets the page as it says (link.py reads it), and "Copy link"
gives the link to the page as it is now: the lesson, or the settings that differ from the preset, the steps,
the open tab and the layout.

Copy link sits beside the presentation toggle, in a toolbar at the page's top right that both layouts show:
it is a teacher's tool; the link's box opens under the header. The link's address is the browser's (window.location), so it works behind a proxy
such as a Space's; it is copied to the clipboard and also shown in a read-only box, as a browser may block
the clipboard (it does on plain http:// addresses other than localhost). On the 2-D lab the link is the
lab's (ui/lab_link.py): its preset, settings and run B.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from .common import friendly
from .lab_link import TAB as LAB_TAB
from .lab_link import lab_outputs, lab_page_state, lab_values, opens_lab
from .lab_tab import LabTab
from .link import DEFAULT_STEPS, FIRST_TAB, PLANE_PRESETS, page_state, query_of, read_link, write_link
from .page import OPENED_LINK_JS
from .train_controls import config_values

COPIED_NOTE_MS = 2500  # how long "Link copied" shows

# Before the handler: the page's address and its open tab (Gradio marks the selected tab's button).
PAGE_JS = """(page, tab, ...rest) => [window.location.href,
  document.querySelector('[role=tab][aria-selected=true][data-tab-id]')?.dataset.tabId ?? '', ...rest]"""
# After it: the link to the clipboard, or selected in its box for Ctrl+C where the clipboard is blocked.
COPY_JS = f"""async (link) => {{
  // The box may not be drawn yet: it was hidden before the first link.
  let box = null;
  for (let i = 0; i < 50 && !(box && box.value === link); i++) {{
    await new Promise((done) => setTimeout(done, 20));
    box = document.querySelector('#gx-link-box input, #gx-link-box textarea');
  }}
  if (box) box.readOnly = true;
  let said = 'Link copied';
  try {{ await navigator.clipboard.writeText(link); }}
  catch (e) {{
    said = 'Press Ctrl+C to copy the link';
    if (box) {{ box.focus(); box.select(); }}
  }}
  const note = document.getElementById('gx-link-copied');
  if (!note) return;
  note.textContent = said;
  clearTimeout(window.gxCopiedTimer);
  window.gxCopiedTimer = setTimeout(() => {{ note.textContent = ''; }}, {COPIED_NOTE_MS});
}}"""


@dataclass
class LinkPanel:
    button: gr.Button
    box: gr.Textbox  # the link, shown once made
    page: gr.Textbox  # hidden: the browser's address (or the query it opened with) and open tab reach
    tab: gr.Textbox   # the handlers through these


def build() -> tuple[LinkPanel, gr.Checkbox]:
    """(Copy link and its box, the presentation toggle): the button and toggle in a toolbar fixed at the
    page's top right, the box (once there is a link) in the page's flow, so it covers nothing."""
    with gr.Row(elem_id="gx-toolbar", equal_height=True):
        button = gr.Button("Copy link", size="md", elem_id="gx-copy-link", min_width=0, scale=0)
        gr.HTML('<span id="gx-link-copied" role="status"></span>', elem_id="gx-link-note", padding=False,
                min_height=0, min_width=0)
        present = gr.Checkbox(False, label="Presentation layout", container=False, elem_id="gx-present",
                              min_width=0, scale=0)
    # Editable for Gradio, read-only in the page (COPY_JS): a disabled box could not be selected for Ctrl+C.
    box = gr.Textbox(label="Link to this page", show_label=False, interactive=True, container=False,
                     visible=False, lines=1, max_lines=1, elem_id="gx-link-box")
    return LinkPanel(button, box, gr.Textbox(visible=False), gr.Textbox(visible=False)), present


def wire(demo: gr.Blocks, panel: LinkPanel, opened: Any, present: gr.Checkbox, notice: gr.Markdown,
         tabs: gr.Tabs, lesson: gr.Dropdown, preset_box: gr.Dropdown, settings: dict[str, Any], steps: gr.Number,
         compare: gr.Dropdown | None = None, lab: LabTab | None = None) -> None:
    """Open the page as its URL asks, once the lesson in it (lesson_panel's load, `opened`) has filled the
    form; and make the link on Copy link. `compare`: run B's preset dropdown, when the page has one;
    `lab`: the 2-D lab, when the page has it."""
    tab_ids = tuple(str(tab.id) for tab in tabs.children)
    extra = [compare] if compare is not None else []
    lab_boxes = lab_outputs(lab) if lab is not None else []

    def open_link(search: str) -> tuple[Any, ...]:
        state, ignored = read_link(query_of(search), tab_ids)
        config = state.config()
        form = config_values(config, settings) if config else {}
        tab = state.tab or (LAB_TAB if lab is not None and opens_lab(state) else "")
        rival = state.compare if state.compare not in PLANE_PRESETS else ""  # a 2-D run B is the lab's
        # The box starts unticked: answering "unticked" would undo a tick made while the page loaded.
        return (state.present or gr.skip(), gr.Markdown(ignored, visible=bool(ignored)),
                (state.preset if config else "") or gr.skip(), *(form.get(control, gr.skip()) for control in settings.values()),
                gr.skip() if state.steps == DEFAULT_STEPS else state.steps,
                gr.Tabs(selected=tab) if tab else gr.skip(),
                *([rival or gr.skip()] if extra else []), *(lab_values(lab, state) if lab is not None else []))

    outputs = [present, notice, preset_box, *settings.values(), steps, tabs, *extra, *lab_boxes]
    opened.then(open_link, panel.page, outputs, js=OPENED_LINK_JS, api_visibility="private", concurrency_limit=None,
                show_progress="hidden")
    present.change(None, present, None, js="(on) => { window.gxPresentChosen = true; window.gxPresent(on); }")

    @friendly
    def make_link(page: str, tab: str, lesson_name: Any, preset_name: Any, steps_value: Any, on: bool,
                  *values: Any) -> Any:
        values, lab_form = values[:len(values) - len(lab_boxes)], values[len(values) - len(lab_boxes):]
        if lab_form and tab == LAB_TAB:
            lab_preset, *form, compare = lab_form  # lab_outputs' order
            lab_state = lab_page_state(lesson=lesson_name, preset_name=lab_preset, form=form, compare=compare,
                                       present=on)
            return gr.Textbox(write_link(page, lab_state), visible=True)
        chosen = dict(zip(["compare", *settings] if extra else list(settings), values, strict=True))
        state = page_state(lesson=lesson_name, preset_name=preset_name, steps=steps_value, present=on,
                           tab=tab if tab in tab_ids else FIRST_TAB, compare=chosen.pop("compare", ""),
                           settings=chosen)
        return gr.Textbox(write_link(page, state), visible=True)

    inputs: Sequence[Any] = [panel.page, panel.tab, lesson, preset_box, steps, present, *extra, *settings.values(),
                             *lab_boxes]
    panel.button.click(make_link, inputs, panel.box, js=PAGE_JS, api_visibility="private", concurrency_limit=None,
                       show_progress="hidden").success(None, panel.box, None, js=COPY_JS)
