"""A run's metrics, step by step, in bounded memory.

A run may go on for hours (the 2-D lab trains hundreds of steps a second). A list of every step's
metrics grew without end, and each chart refresh read all of it in Python: two charts of 100,000
steps took seconds, holding the GIL that training and the other pages need. `History` keeps the
last RECENT steps exactly (what the diagnosis, the lessons and the status line read) and, before
them, means of consecutive steps: whenever it reaches CAPACITY rows, the older part is halved by
averaging neighbouring pairs. The charts show at most 500 bucket means anyway, so they draw the same
trend; the CSV export and a checkpoint's history then hold the older steps as such means.

Stored as one float64 array, one row a step, so a chart reads a column without building objects.
One thread appends (the training thread); any thread may read: a reader takes the array and the
row count together, and the rows below that count are never written again.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np


@dataclass(frozen=True)
class StepMetrics:
    step: int  # generator updates so far
    epoch: float  # real images seen / training set size
    d_loss: float
    g_loss: float
    d_real: float  # mean D(x): a probability for the BCE losses, the critic value otherwise
    d_fake: float  # mean D(G(z)) in the last D update
    g_grad_norm: float
    d_grad_norm: float
    images_per_sec: float  # real images through D per second in this step
    wall_time: float  # seconds spent training so far (pauses excluded)
    g_lr: float
    d_lr: float

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


FIELDS = tuple(f.name for f in dataclasses.fields(StepMetrics))
COLUMN = {name: i for i, name in enumerate(FIELDS)}
LATEST = [COLUMN[name] for name in ("step", "epoch", "wall_time")]  # a merged row keeps the later value
CAPACITY = 40_000  # rows (about 4 MB)
RECENT = 10_000  # the last steps, always kept one row a step (the diagnosis reads 3,000)
FIRST_ROWS = 1024


class History(Sequence[StepMetrics]):
    """The metrics of a run's steps, oldest first; see the module's docstring for the older steps."""

    def __init__(self) -> None:
        self._state: tuple[np.ndarray, int] = (np.empty((FIRST_ROWS, len(FIELDS))), 0)

    def append(self, metrics: StepMetrics) -> None:
        rows, n = self._state
        if n == len(rows):
            rows, n = _with_room(rows, n)
        rows[n] = [getattr(metrics, name) for name in FIELDS]  # astuple deep-copies each number
        self._state = (rows, n + 1)

    def __len__(self) -> int:
        return self._state[1]

    @overload
    def __getitem__(self, index: int) -> StepMetrics: ...

    @overload
    def __getitem__(self, index: slice) -> list[StepMetrics]: ...

    def __getitem__(self, index: int | slice) -> StepMetrics | list[StepMetrics]:
        rows, n = self._state
        if isinstance(index, slice):
            return [_metrics(row) for row in rows[:n][index]]
        if not -n <= index < n:
            raise IndexError("history index out of range")
        return _metrics(rows[index % n])

    def __iter__(self) -> Iterator[StepMetrics]:
        rows, n = self._state
        return (_metrics(row) for row in rows[:n])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def tail(self, count: int) -> History:
        """The last `count` steps as a History of their own: a copy (a few hundred kB), so a diagnosis
        reads columns of it as arrays, not `count` StepMetrics built in Python, while training appends."""
        rows, n = self._state
        recent = History()
        recent._state = (rows[max(0, n - count):n].copy(), min(n, count))
        return recent

    def columns(self, keys: Sequence[str], last: int | None = None) -> np.ndarray:
        """A copy of the columns `keys` (n rows x len(keys)), of the last `last` rows when given."""
        rows, n = self._state
        start = 0 if last is None else max(0, n - last)
        return rows[start:n, [COLUMN[k] for k in keys]].copy()


def _metrics(row: np.ndarray) -> StepMetrics:
    values = row.tolist()
    return StepMetrics(int(values[0]), *values[1:])


def _with_room(rows: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """A new array with room after its first rows: twice as many rows up to CAPACITY, then the rows
    before the RECENT ones averaged in pairs. The old array is left as it is for readers holding it."""
    if n < CAPACITY:
        bigger = np.empty((min(2 * len(rows), CAPACITY), rows.shape[1]))
        bigger[:n] = rows[:n]
        return bigger, n
    old, recent = rows[:n - RECENT], rows[n - RECENT:n]
    paired = len(old) // 2 * 2
    merged = (old[0:paired:2] + old[1:paired:2]) / 2
    merged[:, LATEST] = old[1:paired:2][:, LATEST]
    kept = np.concatenate([merged, old[paired:], recent])
    room = np.empty_like(rows)
    room[:len(kept)] = kept
    return room, len(kept)


def metric_table(history: Sequence[Any], keys: Sequence[str], last: int | None = None) -> np.ndarray:
    """Metrics `keys` of a history (a History, StepMetrics, or a checkpoint's dicts) as rows x keys,
    of its last `last` rows when given."""
    if isinstance(history, History):
        return history.columns(keys, last)
    records = history if last is None else history[-last:] if last else []
    return np.array([[r[k] if isinstance(r, Mapping) else getattr(r, k) for k in keys] for r in records],
                    dtype=np.float64).reshape(-1, len(keys))


def metric(history: Sequence[Any], key: str, last: int | None = None) -> np.ndarray:
    """One metric of a history over its last `last` rows (all when None)."""
    return metric_table(history, [key], last)[:, 0]
