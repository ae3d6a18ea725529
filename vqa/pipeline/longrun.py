"""Long model-mode runs: fixed chunks of questions and a resumable partial file.

The questions (after ``--limit``), ordered by token count, are cut into chunks of ``batch_size``. A
chunk is always run as one batch of the same questions, whether the run is in one process, split
over torchrun's ranks or resumed (with any number of ranks), so every question sees the same padding
and batch and gets bit-identical outputs: every way of running reproduces a single run exactly.

Progress lives in ``<predictions-out>.partial``, JSON lines: a header describing the run, then
one line per finished chunk, flushed and synced to disk before the next chunk starts. A run killed
mid-write leaves at most one cut line, which resuming drops (and runs that chunk again).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from vqa.errors import DataError
from vqa.eval._checks import show

__all__ = ["chunk_positions", "partial_path", "PartialRun", "PARTIAL_FORMAT"]

PARTIAL_FORMAT = "vqa-eval-partial/1"


def chunk_positions(count: int, batch_size: int, order: list[int] | None = None) -> list[tuple[int, list[int]]]:
    """(chunk number, question positions) of every chunk, in order.

    Chunks cut ``order`` (default: the positions 0..count-1) into runs of ``batch_size``; `vqa eval`
    passes the positions sorted by token count, so a chunk pads to similar lengths.
    """
    if batch_size < 1:
        raise DataError(f"--batch-size must be at least 1, got {batch_size}")
    positions = list(range(count)) if order is None else list(order)
    return [(k, positions[start: start + batch_size]) for k, start in enumerate(range(0, count, batch_size))]


def partial_path(predictions_out: str | Path) -> Path:
    return Path(str(predictions_out) + ".partial")


class PartialRun:
    """The partial predictions file of one run: open (fresh or resumed), add chunks, finish.

    ``header`` is a JSON-able dict of everything that decides the outputs (input digests, count,
    batch size, ...); resuming requires it to be equal, field by field.
    """

    def __init__(self, path: Path, header: dict, done: dict[int, list], file) -> None:
        self.path, self.header, self.done, self._file = path, header, done, file

    @classmethod
    def open(cls, path: str | Path, header: dict, resume: bool) -> "PartialRun":
        path = Path(path)
        header = {"format": PARTIAL_FORMAT, **header}
        if path.exists() and not resume:
            raise DataError(
                f"{path} holds an unfinished run; pass --resume to continue it, or delete it to start over"
            )
        found = cls._read(path, header) if resume and path.exists() else None
        if found is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(path, "w", encoding="utf-8")
            cls._write_line(f, header)
            return cls(path, header, {}, f)

        done, good_end = found
        f = open(path, "r+", encoding="utf-8")
        f.seek(good_end)
        f.truncate()  # drop a line cut by a kill, so new chunks start on a clean line
        return cls(path, header, done, f)

    @staticmethod
    def _read(path: Path, header: dict) -> tuple[dict[int, list], int] | None:
        """Finished chunks and the byte offset after the last good line; None: no complete header yet."""
        with open(path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if len(lines) < 2:
            return None  # killed while writing the header: nothing was computed yet
        try:
            seen = json.loads(lines[0])
        except (json.JSONDecodeError, UnicodeDecodeError):
            seen = None
        if not isinstance(seen, dict) or seen.get("format") != PARTIAL_FORMAT:
            raise DataError(f"{path} is not a partial predictions file of `vqa eval` (bad first line); delete it to start over")
        for key in header:
            if seen.get(key) != header[key]:
                raise DataError(
                    f"{path} was written by a different run ({key}: {show(seen.get(key))}, now {show(header[key])}); "
                    "resume with the same inputs and options, or delete it to start over"
                )
        done: dict[int, list] = {}
        good_end = len(lines[0]) + 1
        # Every complete line ends with "\n"; the last element of split() is what follows the last one.
        for raw in lines[1:-1]:
            try:
                rec = json.loads(raw)
                chunk, records = rec["chunk"], rec["records"]
            except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
                break  # a cut or garbled line: it and anything after are run again
            done[chunk] = records
            good_end += len(raw) + 1
        return done, good_end

    @staticmethod
    def _write_line(f, obj: Any) -> None:
        f.write(json.dumps(obj) + "\n")
        f.flush()
        os.fsync(f.fileno())

    def add(self, chunk: int, records: list) -> None:
        """Record a finished chunk; on disk before this returns."""
        self._write_line(self._file, {"chunk": chunk, "records": records})
        self.done[chunk] = records

    def close(self) -> None:
        self._file.close()

    def finish(self) -> None:
        """The final outputs are written: the partial file is no longer needed."""
        self.close()
        self.path.unlink()
