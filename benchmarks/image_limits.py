"""How fast `load_image` refuses a decompression bomb, next to decoding an ordinary image.

The bomb is a complete, valid 20,000 x 20,000 grey PNG of about 400 KB (400 megapixels of zeros;
tests/perception/test_image_inputs.py's ``png_bomb``). `load_image` refuses it from the header,
before any pixel is decoded; the ordinary image is a 480 x 320 PNG (CLEVR's size) of noise, which
is decoded to RGB. Reported: the median of ``--repeats`` calls of each, their ratio, and the peak
memory (max RSS) the refusals added. Wall time, so it depends on what else the machine runs.

    python benchmarks/image_limits.py [--repeats 50]
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.errors import ImageError  # noqa: E402
from vqa.perception.image import load_image  # noqa: E402


def png_bomb():
    """``png_bomb`` of the image tests (one definition, used by the test and by this benchmark)."""
    spec = importlib.util.spec_from_file_location("image_inputs", ROOT / "tests" / "perception" / "test_image_inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.png_bomb


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=50, help="calls of each (default 50)")
    args = p.parse_args()

    bomb = png_bomb()(20_000, 20_000)
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (320, 480, 3), dtype=np.uint8)).save(buf, "PNG")
    ordinary = buf.getvalue()

    def refuse():
        try:
            load_image(bomb)
        except ImageError:
            return
        raise SystemExit("the bomb was not refused")

    load_image(ordinary)  # warm-up: Pillow's plugins
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    refused = median_seconds(refuse, args.repeats)
    added = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
    decoded = median_seconds(lambda: load_image(ordinary), args.repeats)
    print(f"bomb: {len(bomb) / 1024:.0f} KiB PNG claiming 20,000 x 20,000 = 400,000,000 pixels")
    print(f"refused from its header: {refused * 1000:.2f} ms (median of {args.repeats}); peak memory added: {added / 1024:.1f} MiB")
    print(f"decoding a 480 x 320 PNG ({len(ordinary) / 1024:.0f} KiB): {decoded * 1000:.2f} ms")
    print(f"ratio refusal / decoding: {refused / decoded:.4f} (the refusal is {decoded / refused:.0f}x faster)")


if __name__ == "__main__":
    main()
