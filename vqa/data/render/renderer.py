"""Render CLEVR-rule scenes with Debian's ``blender`` in parallel processes, with resume.

``render_scenes(RenderConfig(...))`` splits the image indices over ``workers`` Blender
processes (each runs ``blender_scene.py``), shows a progress bar while per-image JSON files
appear, then merges them into ``scenes.json``: the CLEVR scene format (objects with
``3d_coords``, ``pixel_coords``, ``rotation``; ``relationships`` by CLEVR's rule on this image's
own camera directions) plus, per object, ``bbox`` (xyxy), ``area`` and ``mask`` (COCO RLE,
uncompressed) of its visible pixels. Images already rendered are skipped (resume).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from ... import atomic
from ...errors import DataError
from ...graph.relations import clevr_relations, relationships_dict
from ...graph.scene_graph import SceneGraph, SceneObject

__all__ = ["RenderConfig", "render_scenes", "mask_rle", "find_blender"]

SCRIPT = Path(__file__).with_name("blender_scene.py")


@dataclass
class RenderConfig:
    """Settings of a rendering run (CLEVR's defaults unless noted).

    Attributes:
        out_dir: gets ``images/``, ``masks/``, ``scenes/`` (per image) and ``scenes.json``.
        assets: the official CLEVR Blender assets folder.
        num_images, start_idx: render indices ``start_idx .. start_idx + num_images - 1``.
        samples: Cycles samples per pixel (CLEVR used 512; 32 renders in ~3 s here).
        denoise: Cycles' OpenImageDenoise, which makes few-sample renders as smooth as CLEVR's
            (Debian's blender is built without it: the run stops with a message).
        workers: parallel Blender processes; threads: Cycles threads each (0 = Blender decides).
        occlude: probability that a small object is first tried just behind a large one (training
            scenes rich in hidden objects; 0 draws CLEVR's own distribution).
    """

    out_dir: str = "runs/renders"
    assets: str = "../shared/data/clevr/blender_assets"
    num_images: int = 10
    start_idx: int = 0
    prefix: str = "RENDER"
    split: str = "render"
    seed: int = 0
    width: int = 480
    height: int = 320
    samples: int = 32
    denoise: bool = False
    min_objects: int = 3
    max_objects: int = 10
    min_dist: float = 0.25
    margin: float = 0.4
    min_pixels: int = 200
    occlude: float = 0.0
    max_retries: int = 50
    camera_jitter: float = 0.5
    light_jitter: float = 1.0
    workers: int = 2
    threads: int = 1
    blender: str = ""


def find_blender(explicit: str = "") -> str:
    path = explicit or shutil.which("blender") or ""
    if not path or not Path(path).exists():
        raise DataError("blender not found; install it (`apt-get install blender`, done by scripts/setup.sh) "
                        "or pass --blender PATH")
    return path


def mask_rle(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE of a ``[H, W]`` boolean mask (column-major runs, zeros first)."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    changes = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0] + counts
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": counts}


def _merge(rc: RenderConfig, names: list[str]) -> list[dict]:
    out = Path(rc.out_dir)
    scenes = []
    for name in names:
        s = json.loads((out / "scenes" / (name[:-4] + ".json")).read_text())
        raw = out / "masks" / (name[:-4] + ".ids")
        if raw.is_file():  # Blender's 8-bit PNG writer colour-manages; we write the index map ourselves
            ids = np.frombuffer(raw.read_bytes(), dtype=np.uint8).reshape(rc.height, rc.width)
            atomic.write_with(Image.fromarray(ids, "L").save, out / "masks" / name)
            raw.unlink()
        ids = np.asarray(Image.open(out / "masks" / name))
        for k, o in enumerate(s["objects"]):
            o["mask"] = mask_rle(ids == k + 1)
        dirs = {p: s["directions"][p] for p in ("left", "right", "front", "behind")}
        g = SceneGraph([SceneObject(o["shape"]) for o in s["objects"]])
        g.relations = clevr_relations(np.array([o["3d_coords"] for o in s["objects"]]), dirs)
        s["relationships"] = relationships_dict(g)
        scenes.append(s)
    return scenes


def render_scenes(rc: RenderConfig, progress: bool = True) -> Path:
    """Render (or finish rendering) the images of ``rc``; returns the merged ``scenes.json``."""
    blender = find_blender(rc.blender)
    assets = Path(rc.assets)
    if not (assets / "base_scene.blend").is_file():
        raise DataError(f"CLEVR Blender assets not found in {assets} (need base_scene.blend, shapes/, materials/, "
                        "properties.json); pass --assets DIR")
    out = Path(rc.out_dir)
    for sub in ("images", "masks", "scenes"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    indices = list(range(rc.start_idx, rc.start_idx + rc.num_images))
    names = [f"{rc.prefix}_{i:06d}.png" for i in indices]

    def done() -> int:
        return sum((out / "scenes" / (n[:-4] + ".json")).is_file() for n in names)

    todo = [i for i, n in zip(indices, names) if not (out / "scenes" / (n[:-4] + ".json")).is_file()]
    workers = max(1, min(rc.workers, len(todo)))
    procs, logs = [], []
    job = asdict(rc) | {"assets": str(assets.resolve()), "out_dir": str(out.resolve()),
                        "properties": json.loads((assets / "properties.json").read_text())}
    for w in range(workers if todo else 0):
        part = todo[w::workers]
        job_path = out / f"job{w}.json"
        job_path.write_text(json.dumps(job | {"indices": part}))
        log = open(out / f"blender{w}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen([blender, "--background", "--factory-startup", "--python-exit-code", "1",
                                       "--python", str(SCRIPT), "--", str(job_path)],
                                      stdout=log, stderr=subprocess.STDOUT, env=os.environ | {"PYTHONNOUSERSITE": "1"}))
    with tqdm(total=len(names), initial=done(), disable=not progress, desc="render") as bar:
        while any(p.poll() is None for p in procs):
            time.sleep(1.0)
            bar.update(done() - bar.n)
        bar.update(done() - bar.n)
    for log in logs:
        log.close()
    failed = [w for w, p in enumerate(procs) if p.returncode != 0]
    if failed:
        tail = (out / f"blender{failed[0]}.log").read_text().strip().splitlines()[-3:]
        if any("OpenImageDenoise" in line for line in tail):  # Debian's blender is built without it
            raise DataError("--denoise needs a Blender built with OpenImageDenoise, and this one is not; "
                            "render without --denoise (raise --samples for smoother images)")
        raise DataError(f"blender failed ({len(failed)} of {len(procs)} workers); see {out}/blender{failed[0]}.log: "
                        + " | ".join(tail))
    scenes = _merge(rc, names)
    path = out / "scenes.json"
    info = {"renderer": "vqa.data.render", "config": {k: v for k, v in asdict(rc).items() if k != "blender"},
            "blender": subprocess.run([blender, "--version"], capture_output=True, text=True).stdout.splitlines()[0]}
    atomic.write_text(path, json.dumps({"info": info, "scenes": scenes}))
    return path


if __name__ == "__main__":  # pragma: no cover - manual use: python -m vqa.data.render.renderer OUT N
    render_scenes(RenderConfig(out_dir=sys.argv[1], num_images=int(sys.argv[2])))
