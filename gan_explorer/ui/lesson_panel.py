"""The Train tab's lesson picker: choosing a lesson (or opening `?lesson=NAME`, or calling /lesson)
loads its first run's settings into the form, shows its text, and opens the tab it teaches on.

A pair lesson sets "Compare with (run B)" to its second run, so Start trains both side by side; a
lesson of one run sets it back to no comparison. A lesson of the 2-D lab (tab "lab") fills the lab's
form and its "Compare with" instead, and leaves the Train tab's alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ..lessons import LESSONS, Lesson
from .common import SHIPPED_SUFFIX, friendly
from .compare_view import NO_COMPARISON
from .fields import Dropdown, refuse
from .lab_compare import lesson_choice
from .lab_link import lab_outputs
from .lab_tab import LabTab, fill_preset
from .link import FIRST_LESSON, query_of, read_link
from .page import OPENED_LINK_JS
from .train_controls import preset_values


@dataclass
class LessonPanel:
    picker: gr.Dropdown
    text: gr.Markdown
    opened_link: gr.Textbox  # hidden: the page's query as it opened reaches the load event through it


def build() -> LessonPanel:
    with gr.Row(equal_height=False, elem_id="train-lesson"):
        picker = Dropdown([(lesson.title, lesson.name) for lesson in LESSONS.values()], value=FIRST_LESSON,
                             label="Lesson", scale=1, min_width=220, elem_id="train-lesson-picker")
        text = gr.Markdown(lesson_text(LESSONS[FIRST_LESSON]), elem_id="train-lesson-text")
    return LessonPanel(picker, text, gr.Textbox(visible=False))


def lesson_text(lesson: Lesson) -> str:
    """The lesson's words as the page shows them: title, what to watch, the promise, the runs."""
    if lesson.checkpoint:
        runs = f"**Interpolate** now holds **{lesson.checkpoint}{SHIPPED_SUFFIX}**. Try: {lesson.try_this}"
    elif lesson.tab == "lab":
        runs = f"The 2-D lab holds preset `{lesson.runs[0]}`" + (
            f" and **Compare with** run B (preset `{lesson.runs[1]}`): press Start there to train both side by side."
            if len(lesson.runs) == 2 else ": press Start there.")
    elif len(lesson.runs) == 2:
        runs = (f"The form holds run A (preset `{lesson.runs[0]}`), **Compare with** run B (preset "
                f"`{lesson.runs[1]}`): press Start to train both side by side, B dashed on every chart.")
    else:
        runs = f"The form holds preset `{lesson.runs[0]}`: press Start."
    return (f"### {lesson.title}\n{lesson.text}\n\n**Expect**: {lesson.effect} (within "
            f"{lesson.max_steps:,} steps).\n\n{runs}" if lesson.max_steps else
            f"### {lesson.title}\n{lesson.text}\n\n**Expect**: {lesson.effect}.\n\n{runs}")


def checked_lesson(name: Any) -> Lesson:
    if name not in LESSONS:  # None: the picker (fields.Dropdown) refuses any other value outside its choices
        raise refuse("Lesson", f"choose one of {', '.join(LESSONS)}.")
    return LESSONS[name]


def wire(demo: gr.Blocks, panel: LessonPanel, preset_box: gr.Dropdown, settings: dict[str, Any],
         tabs: gr.Tabs, interpolate_model: gr.Dropdown, compare: gr.Dropdown,
         lab: LabTab | None = None) -> gr.events.Dependency:
    """Wire the picker; returns the page load's event that opens a link's lesson (link_panel goes on from it).
    `lab`: the 2-D lab, whose form and "Compare with" a lab lesson fills."""
    lab_boxes = lab_outputs(lab) if lab is not None else []
    outputs = [panel.picker, panel.text, preset_box, *settings.values(), tabs, interpolate_model, *lab_boxes,
               compare]  # run B last, as /lesson's callers read it

    def values(lesson: Lesson) -> tuple[Any, ...]:
        # each form takes a lesson's runs only where the lesson teaches: the Train tab's or the 2-D lab's
        on_train, on_lab = lesson.runs and lesson.tab == "train", lesson.runs and lesson.tab == "lab"
        form = preset_values(lesson.runs[0], settings) if on_train else {}
        model = (gr.Dropdown(value=lesson.checkpoint + SHIPPED_SUFFIX) if lesson.checkpoint else gr.skip())
        rival = gr.skip() if lesson.tab == "lab" else lesson.runs[1] if len(lesson.runs) == 2 else NO_COMPARISON
        lab_form = {**fill_preset(lab, lesson.runs[0]), lab.form.preset: lesson.runs[0],
                    lab.compare: lesson_choice(lesson)} if lab is not None and on_lab else {}
        return (lesson.name, lesson_text(lesson), lesson.runs[0] if on_train else gr.skip(),
                *(form.get(control, gr.skip()) for control in settings.values()), gr.Tabs(selected=lesson.tab), model,
                *(lab_form.get(control, gr.skip()) for control in lab_boxes), rival)

    @friendly
    def choose(name: str) -> tuple[Any, ...]:
        return values(checked_lesson(name))

    def open_link(search: str) -> tuple[Any, ...]:
        name = read_link(query_of(search))[0].lesson  # an unknown name is reported by the link notice
        return values(LESSONS[name]) if name else tuple(gr.skip() for _ in outputs)

    panel.picker.input(choose, panel.picker, outputs, api_name="lesson", concurrency_limit=None)
    return demo.load(open_link, panel.opened_link, outputs, js=OPENED_LINK_JS, api_visibility="private",
                     concurrency_limit=None, show_progress="hidden")
