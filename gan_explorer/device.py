"""Where a run trains and how fast: device choice, bf16 autocast, CUDA-graph replay of a step.

On a GPU a DCGAN step on MNIST is a few hundred small kernels, and launching them one by one
from Python takes longer than running them. Recording the step once (forward and backward
passes, optimiser updates) and replaying the recording leaves one launch per step.
See https://pytorch.org/docs/stable/notes/cuda.html#cuda-graphs
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from .config import ConfigError

GRAPH_WARMUP_STEPS = 3  # eager steps on a GPU before the step is recorded as a CUDA graph


CGROUP_V2_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def _cgroup_cpu_limit() -> float | None:
    """The container's CPU quota in cores (cgroup v2, else v1), or None when unlimited or unreadable."""
    try:
        if CGROUP_V2_CPU_MAX.exists():
            quota, period = CGROUP_V2_CPU_MAX.read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        if CGROUP_V1_QUOTA.exists():
            quota, period = int(CGROUP_V1_QUOTA.read_text()), int(CGROUP_V1_PERIOD.read_text())
            return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None
    return None


def usable_cpus() -> int:
    """Cores this process may really use. In a container (a Space) `os.cpu_count()` reports the
    host's cores; the CPU affinity mask and the cgroup quota say what the container gets."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    if limit is not None:
        cores = min(cores, max(1, int(limit)))  # a 2.5-core quota keeps 2 threads busy, not 3
    return max(1, cores)


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16, AMX); elsewhere bf16 is emulated and slow."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def cpu_summary() -> str:
    """One line for every benchmark figure: the CPU's vector capability and whether bf16 is native."""
    return (f"CPU capability {torch.backends.cpu.get_cpu_capability()}, "
            f"bf16 {'native' if native_bf16() else 'emulated (slow)'}, {usable_cpus()} usable cores")


def precision_warning(precision: str, device: torch.device) -> str | None:
    """A plain-words warning when `precision` would make training crawl on this device, else None."""
    if precision == "bf16" and device.type == "cpu" and not native_bf16():
        return ("bf16 was chosen, but this CPU has no native bf16: PyTorch emulates it, about 12 times "
                "slower than fp32 here. Choose auto (fp32 on this CPU) unless you are measuring that.")
    return None


def precision_choices(device: torch.device) -> list[tuple[str, str]]:
    """(label, value) for each precision, the label saying what it does on `device`, so a setting
    that would make training crawl here (bf16 emulated on a CPU) is never offered silently."""
    auto = "bf16" if autocast_dtype("auto", device) is not None else "fp32"
    if device.type == "cpu" and not native_bf16():
        bf16 = "bf16: emulated on this CPU, ~12x slower"
    else:
        bf16 = "bf16"
    return [(f"auto: {auto} here", "auto"), ("fp32", "fp32"), (bf16, "bf16")]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for, but PyTorch sees no CUDA GPU here; use 'cpu' or 'auto'.")
    return device


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 for "bf16"; None (plain fp32) for "fp32". "auto" is bf16 on CPUs with native bf16
    (AVX512-BF16 and the like), where it is the one lever that cuts a small model's arithmetic, and
    fp32 elsewhere: CPUs without native bf16 emulate it slowly, and on GPUs the casts cost more than
    bf16 saves for models this small (benchmarks/train_throughput.py, benchmarks/gpu_epoch.py;
    figures in docs/performance.md)."""
    if precision == "fp32":
        return None
    if precision == "auto":
        return torch.bfloat16 if device.type == "cpu" and native_bf16() else None
    return torch.bfloat16


def memory_format(device: torch.device, autocast: torch.dtype | None) -> torch.memory_format:
    """channels_last for fp32 on a CPU: oneDNN's convolutions then skip a layout conversion around
    each call (benchmarks/step_cost.py --contiguous measures it; figures in docs/performance.md).
    With bf16 autocast it gained nothing, so it stays off there."""
    return torch.channels_last if device.type == "cpu" and autocast is None else torch.contiguous_format


def compiled(module: torch.nn.Module, enabled: bool) -> Callable[..., Tensor]:
    """The module itself, or the module through torch.compile (inductor), which fuses elementwise
    work (BatchNorm, activations, their backward passes) where it can, so a step launches fewer
    kernels. The first calls compile, a pause of seconds; the compiled kernels can be recorded in a
    CUDA graph like any others (benchmarks/gpu_step_profile.py; figures in docs/performance.md)."""
    return torch.compile(module) if enabled else module


class CapturedStep:
    """`fn(*inputs) -> Tensor`, recorded once and replayed on new inputs of the same shapes.

    Everything `fn` reads besides its inputs (weights, optimiser state, Python floats such as the
    learning rate) is baked into the recording: the owner must record again when those change.
    The caller warms `fn` up eagerly first (on a side stream), as the PyTorch notes require.
    """

    def __init__(self, fn: Callable[..., Tensor], *example_inputs: Tensor,
                 before_capture: Callable[[], None]) -> None:
        self._inputs = [x.clone() for x in example_inputs]
        before_capture()  # e.g. free the grads, so backward allocates them in the graph's memory pool
        self._graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self._graph):
            self._output = fn(*self._inputs)

    def __call__(self, *inputs: Tensor) -> Tensor:
        for static, x in zip(self._inputs, inputs, strict=True):
            static.copy_(x)
        self._graph.replay()
        return self._output


def warm_up(fn: Callable[..., Tensor], *inputs: Tensor) -> Tensor:
    """Run `fn` eagerly on a side stream, as a step before capture must be run."""
    main = torch.cuda.current_stream()
    side = torch.cuda.Stream()
    side.wait_stream(main)
    with torch.cuda.stream(side):
        out = fn(*inputs)
    main.wait_stream(side)
    return out


class StepExecutor:
    """Runs a training update eagerly, or on a GPU, after a few warm-up steps, as a replayed CUDA graph."""

    def __init__(self, update: Callable[..., Tensor], free_grads: Callable[[], None],
                 learning_rates: Callable[[], tuple[float, float]], cuda_graph: bool) -> None:
        self._update, self._free_grads, self._learning_rates = update, free_grads, learning_rates
        self.cuda_graph = cuda_graph
        self.graph: CapturedStep | None = None
        self._graph_lrs: tuple[float, float] = (0.0, 0.0)
        self._warm_steps = 0

    def __call__(self, *inputs: Tensor) -> Tensor:
        if not self.cuda_graph:
            return self._update(*inputs)
        if self.graph is not None and self._learning_rates() != self._graph_lrs:
            self.graph = None  # the recording holds the old learning rates (a schedule moved them)
        if self.graph is None and self._warm_steps >= GRAPH_WARMUP_STEPS:
            try:
                self.graph = CapturedStep(self._update, *inputs, before_capture=self._free_grads)
                self._graph_lrs = self._learning_rates()
            except RuntimeError as e:  # an op that cannot be captured: stay eager, slower but right
                warnings.warn(f"CUDA graph capture failed, training eagerly instead: {e}", stacklevel=2)
                self.cuda_graph, self.graph = False, None
                return self._update(*inputs)
        if self.graph is not None:
            return self.graph(*inputs)
        self._warm_steps += 1
        return warm_up(self._update, *inputs)

    def discard(self) -> None:
        """Drop the recording; the next step records a new one (no warm-up needed again)."""
        self.graph = None
