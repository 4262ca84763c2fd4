"""The drag both slider benchmarks make (slider_rate.py, in_page_generator.py): a student's hand
holding a slider and moving it back and forth without letting go."""
from __future__ import annotations

from typing import Any


def move_back_and_forth(page: Any, track: str, seconds: float, step_ms: int) -> tuple[float, float, int]:
    """Hold the range input `track` (a selector) and move it for `seconds`; (mouse down, mouse up) as
    Date.now() in ms, and the number of moves."""
    box = page.locator(track).bounding_box()
    y, positions = box["y"] + box["height"] / 2, [0.1 + 0.8 * i / 40 for i in range(41)]
    positions += positions[-2:0:-1]  # there and back: every move changes the value
    page.mouse.move(box["x"] + positions[0] * box["width"], y)
    page.mouse.down()
    start, moves = page.evaluate("Date.now()"), 0
    while page.evaluate("Date.now()") - start < 1000 * seconds:
        moves += 1
        page.mouse.move(box["x"] + positions[moves % len(positions)] * box["width"], y)
        page.wait_for_timeout(step_ms)
    released = page.evaluate("Date.now()")
    page.mouse.up()
    return start, released, moves
