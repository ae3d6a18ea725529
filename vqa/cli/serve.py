"""``vqa serve``: start the web app."""
from __future__ import annotations

import os

from ..device import resolve_device
from .common import DEFAULT_WEIGHTS, EPILOG, add_device_argument
from .logs import add_log_arguments

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    s = sub.add_parser("serve", help="start the web app", epilog=EPILOG)
    s.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="bind address (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)), help="port (default 7860)")
    s.add_argument("--weights", default=DEFAULT_WEIGHTS, help="reasoner .safetensors")
    s.add_argument("--concurrency", type=int, default=2,
                   help="questions answered at once, the rest wait in the queue (default 2)")
    s.add_argument("--queue-size", type=int, default=64,
                   help="questions that may wait (default 64); more are turned away at once: the page says 'This "
                        "application is currently busy. Please try again.', API clients get HTTP 503")
    add_device_argument(s)
    add_log_arguments(s)
    s.set_defaults(func=run)


def run(args) -> int:
    device = resolve_device(args.device)  # before anything loads: `--device cuda` without a GPU fails at once
    from ..app import launch  # defers gradio and torch

    launch(host=args.host, port=args.port, weights=args.weights, concurrency=args.concurrency, device=device,
           queue_size=args.queue_size)
    return 0
