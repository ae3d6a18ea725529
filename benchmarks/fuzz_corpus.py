"""Every input surface, at length: the property tests with 1,000 random examples per surface, then every
file of the checked-in corpus (tests/corpus) through its own `vqa` process.

1. ``pytest --hypothesis-profile fuzz`` on the property tests of images, JSON and scene files, the
   `vqa eval` inputs and the command line (tests/conftest.py registers the profile: 1,000 random,
   not derandomized, examples per test; a few slow tests run a quarter of that).
2. Each corpus file in a separate process, as its kind is read: images through `vqa ask IMAGE Q`
   and `vqa graph IMAGE`; scenes through `vqa ask --scene`; CLEVR questions through `vqa eval
   --graphs gold`; VQA v2 / GQA questions through `vqa eval --graphs predicted`; eval inputs through
   `vqa eval` scoring; row files through `vqa batch --input`. A file expected to be refused must
   exit 2 with one error line naming the file and matching the manifest; the others must exit 0
   (`vqa batch` on valid rows: 2, because the rows' images do not exist, with one JSON line per row).

Prints the time of each part and every mismatch; exits 1 if there was one. About 3 s per process,
so the corpus takes minutes: ``--jobs`` runs processes side by side, ``--only`` picks kinds.

    python benchmarks/fuzz_corpus.py [--jobs 2] [--skip-properties] [--skip-corpus] [--only image,scenes]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
FILES = CORPUS / "files"
PROPERTY_TESTS = ["tests/perception/test_image_inputs.py", "tests/graph/test_io_inputs.py", "tests/eval/test_input_files.py",
                  "tests/cli/test_inputs.py"]
ENV = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def properties() -> bool:
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-profile", "fuzz",
                          "--hypothesis-show-statistics", *PROPERTY_TESTS], cwd=ROOT, env=ENV, capture_output=True, text=True)
    examples = [int(n) for n in re.findall(r"(\d+) passing examples", run.stdout)]
    print(f"property tests: {len(examples)} properties, {sum(examples):,} passing examples "
          f"(fewest {min(examples, default=0):,} in one property), {time.perf_counter() - t0:.0f} s")
    print("  " + (run.stdout.strip().splitlines() or ["(no output)"])[-1])
    if run.returncode:
        print(run.stdout[-6000:])
    return run.returncode == 0


def eval_argv(entry: dict) -> list[str]:
    """`vqa eval` scoring the entry's file as its input, the benchmark's other inputs from json/eval_base
    (``tests/cli/test_corpus.py`` uses it too)."""
    _, bench, role = entry["kind"].split(":")
    argv = ["eval", "--benchmark", bench]
    for base in sorted((FILES / "json" / "eval_base").glob(f"{bench}_*.json")):
        name = base.stem[len(bench) + 1:]
        argv += [f"--{name.replace('_', '-')}", str(FILES / entry["file"] if name == role else base)]
    return argv


def commands(entry: dict, images: Path) -> list[list[str]]:
    """The `vqa` command lines that read ``entry``'s file."""
    path, kind = str(FILES / entry["file"]), entry["kind"]
    if kind == "image":
        return [["ask", path, "How many things are there?", "--no-closer-look"], ["graph", path, "--json"]]
    if kind == "scenes":
        try:  # the photo scene names its photo; a damaged file any name (it is refused first)
            name = json.loads(Path(path).read_bytes().decode("utf-8-sig"))["scenes"][0]["image_filename"]
        except Exception:  # noqa: BLE001 - any damage: the default name
            name = "CLEVR_corpus_0.png"
        return [["ask", "--scene", path, "--image-filename", str(name), "How many cubes are there?"]]
    if kind == "clevr_questions":
        return [["eval", "--benchmark", "clevr", "--graphs", "gold", "--questions", path, "--scenes",
                 str(FILES / "json" / "scenes_valid.json"), "--no-progress"]]
    if kind.startswith("photo_questions:"):
        return [["eval", "--benchmark", kind.split(":")[1], "--graphs", "predicted", "--images", str(images), "--questions", path,
                 "--no-progress"]]
    if kind == "batch_rows":
        return [["batch", "--input", path, "--no-progress"]]
    return [eval_argv(entry)]


def check(entry: dict, argv: list[str]) -> str | None:
    """None when ``vqa ARGV`` did what the manifest says, else what went wrong."""
    run = subprocess.run([sys.executable, "-m", "vqa", *argv], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    errors = [line for line in run.stderr.splitlines() if line.startswith(f"vqa {argv[0]}: error: ")]
    if "Traceback" in run.stderr:
        return f"traceback: {run.stderr.strip().splitlines()[-1]}"
    if entry["expect"] == "error":
        if run.returncode != 2 or len(errors) != 1:
            return f"exit {run.returncode}, {len(errors)} error lines; expected exit 2 and one line"
        if str(FILES / entry["file"]) not in errors[0]:
            return f"the error does not name the file: {errors[0]}"
        if entry["match"] and not re.search(entry["match"], errors[0]):
            return f"{errors[0]!r} lacks /{entry['match']}/"
        return None
    if entry["kind"] == "batch_rows":  # the rows' images are made up: each row is an "error" line
        return None if run.returncode == 2 and run.stdout.count("\n") >= 1 else f"exit {run.returncode}: {run.stderr[-300:]}"
    return None if run.returncode == 0 else f"exit {run.returncode}: {errors or run.stderr.strip().splitlines()[-1:]}"


def corpus(jobs: int, only: set[str] | None) -> bool:
    manifest = [e for e in json.loads((CORPUS / "manifest.json").read_text())
                if not only or e["kind"].split(":")[0] in only]
    with tempfile.TemporaryDirectory() as tmp:
        images = Path(tmp)
        for name in ("COCO_val2014_000000000009.jpg", "n123.jpg", "n124.jpg"):  # the images the photo questions name
            shutil.copy(FILES / "images" / "jpeg_RGB.jpg", images / name)
        work = [(e, argv) for e in manifest for argv in commands(e, images)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(lambda w: check(*w), work))
    wrong = [(e["file"], argv[0], r) for (e, argv), r in zip(work, results) if r]
    print(f"corpus: {len(manifest)} files, {len(work)} `vqa` processes, {time.perf_counter() - t0:.0f} s "
          f"({(time.perf_counter() - t0) * jobs / max(len(work), 1):.1f} s per process); {len(wrong)} mismatches")
    for name, command, what in wrong:
        print(f"  {name} (vqa {command}): {what}")
    return not wrong


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2, help="`vqa` processes at once (default 2)")
    p.add_argument("--skip-properties", action="store_true", help="only the corpus")
    p.add_argument("--skip-corpus", action="store_true", help="only the property tests")
    p.add_argument("--only", help="corpus kinds to run, comma-separated (image, scenes, clevr_questions, photo_questions, "
                                  "eval, batch_rows)")
    args = p.parse_args()
    ok = True
    if not args.skip_properties:
        ok &= properties()
    if not args.skip_corpus:
        ok &= corpus(args.jobs, set(args.only.split(",")) if args.only else None)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
