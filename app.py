"""Start the web app on the shipped weights: ``python app.py [--host H] [--port P]``."""
import argparse
import os

from vqa.app import launch

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    args = ap.parse_args()
    launch(host=args.host, port=args.port)
