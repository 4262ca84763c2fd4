"""A run's numbers as a table a spreadsheet opens: one row per step, the quality checks beside."""
from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Mapping, Sequence
from typing import Any


def history_csv(history: Sequence[Mapping[str, Any]], quality: Sequence[Mapping[str, Any]] = ()) -> str:
    """CSV text of the per-step metrics (StepMetrics.to_dict() rows), with each quality check's
    numbers (FID, class shares...) as `quality_*` columns on the row of the step it scored.
    Non-numeric values (a class histogram) are left out: a cell holds one number."""
    rows: dict[int, dict[str, Any]] = {}
    for entry in history:
        rows.setdefault(int(entry["step"]), {}).update(_numbers(entry))
    for check in quality:
        numbers_ = {f"quality_{k}": v for k, v in _numbers(check).items() if k != "step"}
        rows.setdefault(int(check["step"]), {"step": int(check["step"])}).update(numbers_)
    columns = list(dict.fromkeys(key for row in rows.values() for key in row))
    columns.sort(key=lambda c: (c != "step", c.startswith("quality_")))  # stable: step first, quality last
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for step in sorted(rows):
        writer.writerow(rows[step])
    return out.getvalue()


def _numbers(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if isinstance(v, numbers.Real) and not isinstance(v, bool)}
