"""Where a GPU step of the default preset spends its time: kernels, their GPU time, and the floor.

    python benchmarks/gpu_step_profile.py

Prints (1) the kernels one eager step launches and their summed GPU time (torch.profiler),
(2) the GPU time of one replay of the recorded CUDA graph, replayed back to back with no Python
in between (CUDA events), and (3) what that floor means for one epoch of 938 steps. If a
`Trainer.run()` epoch takes about (3), the step is bound by the GPU's own work, and only fewer or
fused kernels (not less Python) can make it faster. Then the same with G and D through
torch.compile, which fuses BatchNorm, activations and their backward passes.
"""
from __future__ import annotations

import argparse
from collections import Counter

import torch
from torch.profiler import ProfilerActivity, profile

from gan_explorer.data import default_data_root, load_mnist
from gan_explorer.presets import preset
from gan_explorer.trainer import Trainer

STEPS_PER_EPOCH = 938


def kernel_profile(data_root: str, compile_models: bool, steps: int = 20) -> tuple[float, float, Counter]:
    """(kernels per step, GPU microseconds per step, microseconds per step by kernel) of the eager step."""
    trainer = Trainer(preset("fast"), "cuda", data=load_mnist(data_root), cuda_graph=False,
                      compile_models=compile_models)
    for _ in trainer.run(max_steps=20):
        pass
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in trainer.run(max_steps=steps):
            pass
        torch.cuda.synchronize()
    kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
    by_name: Counter = Counter()
    for e in kernels:
        by_name[e.name[:70]] += e.time_range.elapsed_us() / steps
    return len(kernels) / steps, sum(by_name.values()), by_name


def graph_replay_ms(data_root: str, compile_models: bool, replays: int = 500) -> float:
    """GPU milliseconds per replay of the recorded step, replays queued back to back."""
    trainer = Trainer(preset("fast"), "cuda", data=load_mnist(data_root), compile_models=compile_models)
    for _ in trainer.run(max_steps=20):  # warm-up and capture
        pass
    graph = trainer._executor.graph
    assert graph is not None, "the step was not captured"
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(replays):
        graph._graph.replay()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / replays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=str(default_data_root()))
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("This benchmark needs a CUDA GPU.")
    print(f"GPU: {torch.cuda.get_device_name()} | torch {torch.__version__}")
    for compile_models in (False, True):
        per_step, gpu_us, by_name = kernel_profile(args.data_root, compile_models)
        replay_ms = graph_replay_ms(args.data_root, compile_models)
        print(f"{'with' if compile_models else 'without'} torch.compile:")
        print(f"eager step: {per_step:.0f} kernels, {gpu_us / 1000:.3f} ms of kernel time per step")
        for name, us in by_name.most_common(8):
            print(f"  {us / 1000:7.3f} ms/step  {name}")
        print(f"graph replay, back to back: {replay_ms:.3f} ms per step "
              f"-> floor {replay_ms * STEPS_PER_EPOCH / 1000:.2f} s per epoch of {STEPS_PER_EPOCH} steps")


if __name__ == "__main__":
    main()
