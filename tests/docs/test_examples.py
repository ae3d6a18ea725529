"""The command examples of README.md and docs/cli.md run as written, and show what their text promises.

The convention, which the documents state where their examples start:

* A fenced ```bash block holds commands that run as written from the repository root, with
  ../shared beside the checkout. Each line of it (after joining lines that end in a backslash)
  that starts with ``vqa `` is an example. This test runs it as ``python -m vqa ...`` in a
  subprocess, with cwd = the repository root, and asserts exit status 0. Other lines of such a
  block (``mkdir -p /tmp/vqa``, ``bash scripts/app.sh``) are for people and are not run here.
* Each example ends with a comment that says what it shows, in one or more clauses joined by ``;``:
    ``# prints: TEXT``                 stdout contains TEXT (runs of spaces count as one);
    ``# prints JSON with: a, b``       stdout is one JSON object with the keys a and b;
    ``# writes: PATH``                 the command wrote the file PATH;
    ``# writes: PATH with: a, b``      ... a JSON file (or JSON lines, each line) with the keys a, b.
  An example without such a comment fails: every example must promise something checkable.
* Outputs go under ``/tmp/vqa/``. The test maps that prefix to a fresh temporary folder per
  document, so examples of one document may read what an earlier example of it wrote.
* Commands that take minutes to hours (``vqa train``, ``vqa render``, ``vqa eval --graphs predicted``
  over every image) or start a server (``vqa serve``, ``scripts/app.sh``) live in ```console blocks,
  which this test does not run; a ``vqa train|render|serve`` line in a ```bash block fails it.

The two documents' examples run side by side (one thread each), each document's in order.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/cli.md")
PLACEHOLDER = "/tmp/vqa"
NOT_RUN_HERE = ("train", "render", "serve")  # hours, or a server: ```console blocks only
TIMEOUT_S = 300


@dataclass
class Example:
    doc: str
    line: int
    command: str
    promises: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (kind, text or path, keys)

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def split_comment(line: str) -> tuple[str, str]:
    """``command  # comment`` -> (command, comment); a ``#`` inside quotes is not a comment."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


_CLAUSE = re.compile(r";\s*(?=(?:prints|writes)\b)")
_PRINTS_JSON = re.compile(r"prints JSON with:\s*(.+)$")
_PRINTS = re.compile(r"prints:\s*(.+)$")
_WRITES = re.compile(r"writes:\s*(\S+)(?:\s+with:\s*(.+))?$")


def parse_promises(comment: str) -> list[tuple[str, str, list[str]]]:
    promises = []
    for clause in filter(None, (c.strip() for c in _CLAUSE.split(comment))):
        if m := _PRINTS_JSON.match(clause):
            promises.append(("json", "", [k.strip() for k in m.group(1).split(",")]))
        elif m := _PRINTS.match(clause):
            promises.append(("prints", m.group(1).strip(), []))
        elif m := _WRITES.match(clause):
            keys = [k.strip() for k in m.group(2).split(",")] if m.group(2) else []
            promises.append(("writes", m.group(1), keys))
        else:
            promises.append(("unknown", clause, []))
    return promises


_FENCE = re.compile(r"^```([\w-]*)\s*$")


def extract(doc: str) -> list[Example]:
    """Every ``vqa ...`` line of the ```bash blocks of ``doc``, with its promises."""
    examples, lang, pending, start = [], None, "", 0
    for number, line in enumerate((ROOT / doc).read_text().splitlines(), 1):
        if fence := _FENCE.match(line):  # a line of only ``` and a language; inline ```` ```bash ```` is not one
            lang = fence.group(1) if lang is None else None
            continue
        if lang != "bash":
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical, pending = pending + line, ""
        command, comment = split_comment(logical.strip())
        if command.startswith("vqa "):
            examples.append(Example(doc, start, " ".join(command.split()), parse_promises(comment)))
    return examples


EXAMPLES = [e for doc in DOCS for e in extract(doc)]


def _run(example: Example, out: Path) -> subprocess.CompletedProcess:
    args = shlex.split(example.command.replace(PLACEHOLDER, str(out)))
    env = dict(os.environ, HF_HUB_OFFLINE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    try:
        return subprocess.run([sys.executable, "-m", "vqa", *args[1:]], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(e.cmd, -1, e.stdout or "", f"timed out after {TIMEOUT_S} s")


@pytest.fixture(scope="module")
def results(request, tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """Run the examples once: each document's in order, the documents in parallel threads.

    Only as far into each document as the selected tests need (``-k`` picks some): an example
    may read what the examples before it wrote, so those run too."""
    done: dict[str, tuple[subprocess.CompletedProcess, Path]] = {}
    selected = {item.callspec.params["example"].id for item in request.session.items
                if hasattr(item, "callspec") and "example" in item.callspec.params}

    def run_doc(doc: str) -> None:
        examples = [e for e in EXAMPLES if e.doc == doc]
        needed = [k for k, e in enumerate(examples) if e.id in selected]
        if not needed:
            return
        out = tmp_path_factory.mktemp(Path(doc).stem)
        for example in examples[: max(needed) + 1]:
            if example.command.split()[1] not in NOT_RUN_HERE:
                done[example.id] = (_run(example, out), out)

    threads = [threading.Thread(target=run_doc, args=(doc,)) for doc in DOCS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done


def _squeeze(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def _records(path: Path) -> list[dict]:
    text = path.read_text()
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_examples_found():
    for doc in DOCS:
        assert any(e.doc == doc for e in EXAMPLES), f"no ```bash `vqa ...` example found in {doc}"
    tour = {e.command.split()[1] for e in EXAMPLES if e.doc == "README.md"}
    assert {"ask", "eval", "attention"} <= tour, f"the README's tour lacks some of ask/eval/attention: {tour}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example(example: Example, results):
    assert example.command.split()[1] not in NOT_RUN_HERE, (
        f"{example.id}: `vqa {example.command.split()[1]}` takes hours or starts a server: "
        "put it in a ```console block")
    assert example.promises, f"{example.id}: no `# prints:` / `# writes:` comment says what it shows"
    proc, out = results[example.id]
    assert proc.returncode == 0, f"{example.id}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
    for kind, text, keys in example.promises:
        if kind == "unknown":
            pytest.fail(f"{example.id}: cannot check {text!r} (use prints:, prints JSON with:, writes:)")
        elif kind == "prints":
            assert _squeeze(text) in _squeeze(proc.stdout), f"{example.id}: {text!r} not printed:\n{proc.stdout[-3000:]}"
        elif kind == "json":
            data = json.loads(proc.stdout)
            assert set(keys) <= set(data), f"{example.id}: JSON lacks {sorted(set(keys) - set(data))}"
        elif kind == "writes":
            path = Path(text.replace(PLACEHOLDER, str(out)))
            assert path.is_file() and path.stat().st_size > 0, f"{example.id}: {text} not written"
            if keys:
                for record in _records(path):
                    assert set(keys) <= set(record), f"{example.id}: {text} lacks {sorted(set(keys) - set(record))}"


def test_parsing_rules():
    """The extraction this test relies on: comments, continuation lines, promises."""
    assert split_comment('vqa ask x.png "What # is it?"   # prints: 3') == ('vqa ask x.png "What # is it?"', "prints: 3")
    assert parse_promises("prints: yes (75%); writes: /tmp/vqa/a.json with: a, b") == [
        ("prints", "yes (75%)", []), ("writes", "/tmp/vqa/a.json", ["a", "b"])]
    assert parse_promises("shows something")[0][0] == "unknown"
