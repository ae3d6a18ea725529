"""Start the web app on the shipped weights: ``python app.py [--host H] [--port P] [--weights W] [--device D]``.

Defaults: 127.0.0.1:7860, or Gradio's ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``.
"""
import argparse
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the app never downloads: set before transformers is imported

from vqa.app import CONCURRENCY_LIMIT, launch  # noqa: E402
from vqa.device import DEVICE_CHOICES, resolve_device  # noqa: E402
from vqa.errors import VqaError  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                    help="bind address (default 127.0.0.1: this machine only)")
    ap.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
                    help="port (default 7860)")
    ap.add_argument("--weights", default=None, help="reasoner .safetensors (default: the shipped weights)")
    ap.add_argument("--concurrency", type=int, default=CONCURRENCY_LIMIT,
                    help=f"questions answered at once; the rest wait in the queue (default {CONCURRENCY_LIMIT})")
    ap.add_argument("--device", default="auto", choices=DEVICE_CHOICES,
                    help="where the models run: auto (default: a CUDA GPU when there is one), cpu, or cuda")
    args = ap.parse_args()
    try:
        launch(host=args.host, port=args.port, weights=args.weights, concurrency=args.concurrency,
               device=resolve_device(args.device))
    except VqaError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
