"""build_demo(): the tabs, the wiring between them, the queue, and what launch() needs."""
from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

import gradio as gr
import torch

from ..cores import CoreShare
from ..data import default_data_root, load_mnist
from ..device import resolve_device
from ..forkserver import Forkserver
from ..memory import limit_allocator_arenas
from ..models import Generator
from ..sessions import QualityFn
from . import (
    directions_panel,
    draw_tab,
    explore_tab,
    interpolate_tab,
    lesson_panel,
    link_panel,
    loading,
    page,
    plane_route,
    slider_route,
    slow_motion,
    train_tab,
    tsne_tab,
)
from .common import LIVE_RUN, bind, default_model
from .explore_tab import NearestFn
from .lab_tab import build as build_lab_tab
from .preparation import add_banner, warm_up
from .sessions import SessionRegistry
from .slider_route import ExplorerBlocks

log = logging.getLogger(__name__)

QUALITY_SAMPLES = 500  # samples per live quality check: ~0.2 s of one core, floors measured at this n
QUEUE_SIZE = 64  # waiting events beyond this are refused with "queue full" instead of piling up
# Gradio keeps each visitor's page state (~1.3 MB: a copy of every component's settings) for an hour
# after the tab closes, up to this many sessions, the least recently used going first. Its default,
# 10,000, would let a busy server grow by gigabytes; 256 holds several classes at once.
SESSION_CAPACITY = 256
# the panels whose pictures follow their sliders while one moves (slider_route)
MOVING_PICTURES = (explore_tab.MOVING, directions_panel.MOVING)


def _thread_override() -> int | None:
    """$GAN_EXPLORER_TORCH_THREADS: a fixed training thread count (no borrowing), when set."""
    value = os.environ.get("GAN_EXPLORER_TORCH_THREADS")
    return int(value) if value else None


def core_share() -> CoreShare:
    """The server's cores (cores.py): on a 2-core machine (or a 2-vCPU Space) training takes 1 and
    both while one run trains alone and nobody uses the page; cores are counted as the container may
    use them (device.usable_cpus). $GAN_EXPLORER_TORCH_THREADS fixes the count."""
    return CoreShare(fixed=_thread_override())


def configure_torch_threads() -> int:
    """Leave one core to the web server on small CPU machines, so pages and sliders stay responsive:
    threads started from now on compute on the server's share (training borrows more, cores.py)."""
    threads = core_share().server_threads
    torch.set_num_threads(threads)
    return threads


def _metrics_hooks() -> tuple[QualityFn | None, NearestFn | None, Callable | None, Callable[[], object]]:
    """(quality_fn, nearest_fn, classify_fn, prepare) from gan_explorer.metrics; the first three None
    when unavailable. prepare() reads MNIST and builds what the hooks cache, for the start's warm-up.

    The metrics need a trained classifier and reference statistics in checkpoints/; without
    them the app still works, minus the quality curve, the nearest image and digit colours.
    """
    try:
        from .. import metrics
        from ..nearest import TrainingImages, nearest_training_image
        judge = metrics.default_judge()
    except (ImportError, OSError, ValueError, RuntimeError) as e:  # missing classifier or reference stats
        log.warning("quality metrics off: %s", e)
        return None, None, None, lambda: load_mnist(default_data_root())

    @functools.cache  # built on first use, then each lookup is one matmul
    def training_images() -> TrainingImages:
        return TrainingImages.build(load_mnist(default_data_root()))

    def nearest(image: torch.Tensor) -> torch.Tensor:
        return nearest_training_image(image, training_images())[0]

    def classify(images: torch.Tensor) -> torch.Tensor:
        return metrics.embed(judge.classifier, images).probs.argmax(1)

    floor = judge.floors[str(QUALITY_SAMPLES)]  # what real digits score at the same sample size

    @functools.cache  # real images of each digit, embedded on the first check
    def reference() -> metrics.DigitReference:
        return metrics.digit_reference(judge, load_mnist(default_data_root(), train=False))

    def quality(generator: Generator) -> dict[str, Any]:
        return {**metrics.quick_quality(generator, n=QUALITY_SAMPLES, judge=judge, reference=reference()),
                "fid_floor": floor["fid"], "is_floor": floor["inception_score"]}

    def prepare() -> None:
        # At the start, not in the first run's quality check, where embedding 10,000 test digits
        # took a core from the training runs and their live streams for seconds.
        training_images()
        reference()

    return quality, nearest, classify, prepare


def _device_line(cores: CoreShare) -> str:
    device = resolve_device("auto")
    if device.type == "cuda":
        return f"Device: **cuda** ({torch.cuda.get_device_name(device)})"
    threads = cores.server_threads
    where = f"CPU, {threads} training thread{'s' if threads > 1 else ''} of {cores.cores} cores"
    if cores.borrows:
        where += f"; {cores.cores} while one run trains and nobody uses the page"
    return f"Device: **cpu** ({where})"


def build_demo() -> gr.Blocks:
    """The app. Call configure_torch_threads() first in a process that serves it (app.py does)."""
    limit_allocator_arenas()  # before the server's threads start: less memory kept after a class
    cores = core_share()
    # The lab's runs apart from Train's, each in a process of its own (process_run.py), forked by a clean
    # process started now so that it has imported torch by the first Start.
    forkserver = Forkserver()
    forkserver.start()
    registry, lab_registry = SessionRegistry(cores), SessionRegistry(cores, apart=forkserver)
    quality_fn, nearest_fn, classify_fn, prepare = _metrics_hooks()
    preparation = warm_up(prepare)
    # delete_cache: every streamed grid is a file in Gradio's cache; drop them after 10 minutes.
    routes = slider_route.routes(registry, MOVING_PICTURES) + plane_route.routes(lab_registry)
    with ExplorerBlocks(routes, title="GAN Explorer", delete_cache=(600, 600), analytics_enabled=False) as demo:
        gr.Markdown("# GAN Explorer\nTrain a generative adversarial network on MNIST and watch it learn. "
                    + _device_line(cores), elem_id="gx-header")
        add_banner(preparation)
        link, present = link_panel.build()
        link_notice = gr.Markdown(visible=False, elem_id="gx-link-notice")
        with gr.Tabs() as tabs:
            with gr.Tab("Train", id="train"):
                lesson = lesson_panel.build()
                train = train_tab.build(registry, quality_fn)
                slow_motion.wire(train)
            with gr.Tab("Explore", id="explore"):
                explore = explore_tab.build(registry, nearest_fn)
            with gr.Tab("Interpolate", id="interpolate"):
                interpolate = interpolate_tab.build(registry, explore.z)
            with gr.Tab("t-SNE", id="tsne"):
                tsne = tsne_tab.build(registry, explore, tabs, classify_fn)
            with gr.Tab("Draw", id="draw"):
                draw = draw_tab.build(registry, nearest_fn, explore, interpolate, tabs)
            with gr.Tab("2-D lab", id="lab"):  # its own runs, apart from the Train tab's
                lab = build_lab_tab(lab_registry)
        loading.wire(loading.Pickers(registry, quality_fn, train, explore,
                                     [explore.model, interpolate.model, tsne.model, draw.model]), tabs)
        if default_model() != LIVE_RUN:  # open with a pretrained generator already drawn in Explore
            demo.load(bind(explore_tab.from_seed, explore), explore.seed_inputs, explore.z_outputs,
                      api_visibility="private", concurrency_limit=None)
        opened = lesson_panel.wire(demo, lesson, train.preset, train.settings, tabs, interpolate.model, train.compare,
                                   lab)
        link_panel.wire(demo, link, opened, present, link_notice, tabs, lesson.picker, train.preset, train.settings,
                        train.steps, train.compare, lab)
        demo.unload(registry.close)
        demo.unload(lab_registry.close)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=None)
    return demo


def launch_options() -> dict[str, Any]:
    """What launch() needs besides host and port: styles, the t-SNE click script, upload limit, no share."""
    return {"css": page.CSS, "head": page.head(MOVING_PICTURES), "theme": gr.themes.Soft(), "max_file_size": "20mb", "share": False,
            "state_session_capacity": SESSION_CAPACITY}
