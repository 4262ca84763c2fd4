"""CUDA-graph replay of a training step.

On a GPU a DCGAN step on MNIST is a few hundred small kernels, and launching them one by one
from Python takes longer than running them. Recording the step once (forward and backward
passes, optimiser updates) and replaying the recording leaves one launch per step.
See https://pytorch.org/docs/stable/notes/cuda.html#cuda-graphs
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

GRAPH_WARMUP_STEPS = 3  # eager steps on a GPU before the step is recorded as a CUDA graph


class CapturedStep:
    """`fn(*inputs) -> Tensor`, recorded once and replayed on new inputs of the same shapes.

    Everything `fn` reads besides its inputs (weights, optimiser state, Python floats such as the
    learning rate) is baked into the recording: the owner must record again when those change.
    The caller warms `fn` up eagerly first (on a side stream), as the PyTorch notes require.
    `generators`: the run's own CUDA generators that `fn` draws from (dropout); registered so that
    each replay draws fresh numbers from them, as the default generator does.
    """

    def __init__(self, fn: Callable[..., Tensor], *example_inputs: Tensor,
                 before_capture: Callable[[], None], generators: Sequence[torch.Generator] = ()) -> None:
        self._inputs = [x.clone() for x in example_inputs]
        before_capture()  # e.g. free the grads, so backward allocates them in the graph's memory pool
        self._graph = torch.cuda.CUDAGraph()
        for generator in generators:
            self._graph.register_generator_state(generator)
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
                 learning_rates: Callable[[], tuple[float, float]], cuda_graph: bool,
                 generators: Sequence[torch.Generator] = ()) -> None:
        self._update, self._free_grads, self._learning_rates = update, free_grads, learning_rates
        self.cuda_graph, self._generators = cuda_graph, tuple(generators)
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
                self.graph = CapturedStep(self._update, *inputs, before_capture=self._free_grads,
                                          generators=self._generators)
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
