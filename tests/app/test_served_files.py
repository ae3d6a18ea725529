"""What the running app serves: its own example files, and nothing else of the machine (the weights, the
repository, /etc), by any of Gradio's file routes; the server listens on 127.0.0.1 unless told otherwise."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "vqa" / "app" / "examples" / "CLEVR_train_000045.png"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _file_url(app_url: str, path: str) -> str:
    return f"{app_url}gradio_api/file={urllib.parse.quote(path)}"


def test_app_serves_its_example_images(app_url):
    assert _status(_file_url(app_url, str(EXAMPLE))) == 200


@pytest.mark.parametrize("path", ["/etc/passwd", str(ROOT / "pyproject.toml"), str(ROOT / "weights" / "clevr-reasoner.json"),
                                  str(EXAMPLE.parent / ".." / "uploads.py"), str(EXAMPLE.parent / "../../../pyproject.toml")])
def test_app_serves_no_other_file(app_url, path):
    assert _status(_file_url(app_url, path)) in (403, 404)


def test_serve_binds_localhost_by_default(monkeypatch):
    from vqa.cli.main import build_parser  # the parser alone: no server starts

    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1"
