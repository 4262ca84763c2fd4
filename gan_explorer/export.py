"""A run's numbers as a table a spreadsheet opens: one row per step, the quality checks beside; two
runs of a comparison in one table, told apart by a `run` column."""
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
    return _csv(_rows(history, quality))


def runs_csv(runs: Sequence[tuple[str, Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]]]) -> str:
    """CSV text of several runs' (name, history, quality), each row headed by its run's name."""
    return _csv([{"run": name, **row} for name, history, quality in runs for row in _rows(history, quality)])


def _rows(history: Sequence[Mapping[str, Any]], quality: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for entry in history:
        rows.setdefault(int(entry["step"]), {}).update(_numbers(entry))
    for check in quality:
        numbers_ = {f"quality_{k}": v for k, v in _numbers(check).items() if k != "step"}
        rows.setdefault(int(check["step"]), {"step": int(check["step"])}).update(numbers_)
    return [rows[step] for step in sorted(rows)]


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    # stable: the run and the step first, quality last
    columns.sort(key=lambda c: (c != "run", c != "step", c.startswith("quality_")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _numbers(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if isinstance(v, numbers.Real) and not isinstance(v, bool)}
