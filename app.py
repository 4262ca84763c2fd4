"""GAN Explorer's web app: `python app.py` locally, and the entry point of the Hugging Face Space.

`demo` is built at import, at module level, as Gradio's reload mode (`gradio app.py`) and a Space expect.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from gan_explorer.ui import build_demo, configure_torch_threads, launch_options

configure_torch_threads()  # before the demo starts its threads: the web server keeps a core
demo = build_demo()


def main() -> None:
    # A Space must listen on all interfaces; on a laptop the app stays private to this machine.
    host = "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    demo.launch(server_name=host, server_port=port, **launch_options())


if __name__ == "__main__":
    main()
