"""Photo -> scene graph latency of the ``coco`` detector: median / p95 over the packaged photos.

Photos: the everyday pictures installed with scikit-image (``skimage/data``: astronaut, chelsea,
coffee, camera, motorcycle_left, motorcycle_right, rocket), scikit-learn (china.jpg, flower.jpg)
and matplotlib (grace_hopper.jpg); none ship with this repository. Each photo is decoded once,
then ``detect`` (network, NMS, colour and size) and ``detections_to_box_graph`` (box relations)
run ``--repeats`` times after one warm-up pass. Wall time depends on what else the machine runs;
CPU time (``time.process_time``, one OpenCV thread) is what one idle core would take.

    python benchmarks/photo_latency.py [--repeats 5] [--threads 1] [--auto] [--clevr DIR ...]

``--auto`` also prints ``choose_detector``'s statistics and accuracy (``vqa.perception.auto``) on
the shared CLEVR images and renders versus every image packaged with those three libraries.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vqa.graph.box_relations import detections_to_box_graph  # noqa: E402
from vqa.perception.auto import choose_detector, image_stats  # noqa: E402
from vqa.perception.coco.detector import CocoDetector, CocoDetectorConfig  # noqa: E402
from vqa.perception.image import load_image  # noqa: E402

PHOTOS = ("skimage:astronaut.png", "skimage:chelsea.png", "skimage:coffee.png", "skimage:camera.png",
          "skimage:motorcycle_left.png", "skimage:motorcycle_right.png", "skimage:rocket.jpg",
          "sklearn:china.jpg", "sklearn:flower.jpg", "matplotlib:grace_hopper.jpg")


def _folders() -> dict[str, Path]:
    import matplotlib
    import skimage
    import sklearn

    return {"skimage": Path(skimage.__file__).parent / "data",
            "sklearn": Path(sklearn.__file__).parent / "datasets" / "images",
            "matplotlib": Path(matplotlib.get_data_path()) / "sample_data"}


def photo_paths() -> list[Path]:
    folders = _folders()
    return [folders[lib] / name for lib, name in (p.split(":") for p in PHOTOS)]


def packaged_images() -> list[Path]:
    """Every PNG/JPEG/GIF in the three libraries' image folders (photos and drawings)."""
    out = []
    for folder in _folders().values():
        out += sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif"))
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100])."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def latency(repeats: int, threads: int) -> None:
    t0 = time.perf_counter()
    det = CocoDetector.from_config(CocoDetectorConfig(num_threads=threads))
    print(f"model load: {time.perf_counter() - t0:.2f} s")
    wall, cpu, graph_ms = [], [], []
    for path in photo_paths():
        image = load_image(path)
        det.detect(image)  # warm-up
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            d = det.detect(image)
            w1 = time.perf_counter()
            g = detections_to_box_graph(d, path.name)
            w2, c2 = time.perf_counter(), time.process_time()
            wall.append((w2 - w0) * 1000)
            cpu.append((c2 - c0) * 1000)
            graph_ms.append((w2 - w1) * 1000)
        found = ", ".join(f"{o.name} {o.score:.2f} ({o.attributes['color']}, {o.attributes['size']})"
                          for o in g.objects) or "nothing"
        print(f"{path.name:22s} {image.size[0]}x{image.size[1]:<4d} {len(g.relations):3d} relations  {found}")
    n = len(wall)
    print(f"\ndetect + graph over {n} runs ({len(photo_paths())} photos x {repeats}), {threads} OpenCV thread(s):")
    print(f"  wall  median {statistics.median(wall):7.1f} ms   p95 {percentile(wall, 95):7.1f} ms")
    print(f"  CPU   median {statistics.median(cpu):7.1f} ms   p95 {percentile(cpu, 95):7.1f} ms")
    print(f"  graph median {statistics.median(graph_ms):7.2f} ms (wall, included above)")


def auto_accuracy(clevr_dirs: list[Path]) -> None:
    groups = {str(d): sorted(d.glob("*.png")) for d in clevr_dirs}
    groups["packaged images (expect coco)"] = packaged_images()
    fields = ("aspect", "frame_chroma", "frame_brightness", "frame_smoothness")
    total = right = 0
    for label, paths in groups.items():
        expect = "coco" if label.startswith("packaged") else "clevr"
        stats, read, ok, wrong, secs = [], [], 0, [], 0.0
        for p in paths:
            try:
                image = load_image(p)
            except Exception as e:  # a packaged file Pillow cannot read is reported, not counted
                print(f"  skipped {p.name}: {e}")
                continue
            t0 = time.perf_counter()
            choice = choose_detector(image)
            secs += time.perf_counter() - t0
            stats.append(image_stats(image))
            read.append(p)
            ok += choice == expect
            if choice != expect:
                wrong.append(p.name)
        total, right = total + len(stats), right + ok
        print(f"{label}: {ok}/{len(stats)} -> {expect}; {1000 * secs / max(len(stats), 1):.1f} ms per image"
              + (f"; wrong: {wrong}" if wrong else ""))
        for f in fields:
            v = [getattr(s, f) for s in stats]
            print(f"    {f:17s} {min(v):.3f} .. {max(v):.3f} (median {statistics.median(v):.3f})")
        if expect == "coco":
            for p, s in zip(read, stats):
                print(f"    {p.name:24s} " + "  ".join(f"{getattr(s, f):.3f}" for f in fields))
    print(f"choose_detector accuracy: {right}/{total} = {100 * right / max(total, 1):.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1)")
    ap.add_argument("--auto", action="store_true", help="also measure choose_detector")
    ap.add_argument("--clevr", nargs="*", default=[str(ROOT.parent / "shared" / "data" / "clevr" / "images"),
                                                 str(ROOT.parent / "shared" / "data" / "clevr_renders" / "images")])
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)  # torchvision's NMS and IoU run on these tensors
    latency(args.repeats, args.threads)
    if args.auto:
        print()
        auto_accuracy([Path(d) for d in args.clevr])


if __name__ == "__main__":
    main()
