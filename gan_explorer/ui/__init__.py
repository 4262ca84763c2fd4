"""The Gradio app: build_demo() assembles the Train, Explore, Interpolate, t-SNE and Draw tabs."""
from .builder import build_demo, configure_torch_threads, launch_options

__all__ = ["build_demo", "configure_torch_threads", "launch_options"]
