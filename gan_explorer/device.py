"""Where a run trains and how fast: device choice, CPU cores, bf16 autocast, memory layout, compile.

CUDA-graph replay of a step is in cuda_graph.py.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

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


class DeviceError(ValueError):
    """The device asked for is not here (a user's choice: the UI and the CLI show the message)."""


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
        raise DeviceError("device 'cuda' was asked for, but PyTorch sees no CUDA GPU here; use 'cpu' or 'auto'.")
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
