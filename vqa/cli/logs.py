"""The ``vqa`` command's logging: ``-v``/``--verbose``, ``-q``/``--quiet`` and ``--debug``, and one line
per message on stderr.

Library modules log to ``logging.getLogger(__name__)`` and configure nothing; ``vqa.cli.main`` runs
each command inside ``to_stderr``. What a command answers (answers, JSON lines, metrics
tables) is printed to stdout, never logged, so that piping it keeps working.

Levels of the ``vqa`` loggers: INFO by default (what was written where, notes on the run), DEBUG
with ``-v`` or ``--debug``, WARNING with ``-q``. Other libraries' loggers keep Python's default
(warnings and errors only).
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["add_log_arguments", "one_line", "to_stderr"]


def add_log_arguments(p: argparse.ArgumentParser, top: bool = False) -> None:
    """``-v``, ``-q`` and ``--debug`` on ``p``. The top parser (``top``) holds the defaults; on a
    subcommand they default to ``argparse.SUPPRESS``, so that the subcommand's defaults do not undo
    ``vqa -v ask ...``: both ``vqa -v ask`` and ``vqa ask -v`` work."""
    default = False if top else argparse.SUPPRESS
    g = p.add_argument_group("logging")
    g.add_argument("-v", "--verbose", action="store_true", default=default,
                   help="also show debug messages (devices, detectors, timings) on stderr")
    g.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="show only warnings and errors on stderr, and no progress bars")
    g.add_argument("--debug", action="store_true", default=default,
                   help="as -v, and an error shows its full traceback instead of one line")


class LineFormatter(logging.Formatter):
    """``vqa ask: MESSAGE`` for information, ``vqa ask: warning: MESSAGE`` (``debug:``, ``error:``) for the
    other levels; another library's message also names its logger. A traceback, when the record
    carries one, follows on the next lines."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def formatMessage(self, record: logging.LogRecord) -> str:
        label = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        if record.name != "vqa" and not record.name.startswith("vqa."):
            label += f"{record.name}: "
        return f"{self.prefix}: {label}{record.message}"


@contextmanager
def to_stderr(command: str, verbose: bool = False, quiet: bool = False, debug: bool = False) -> Iterator[None]:
    """Inside: log records go to stderr, one line each after ``vqa COMMAND:``, and the ``vqa`` loggers
    pass the level the options ask for (``--debug`` and ``-v`` win over ``-q``). After: both as
    before, so that ``main`` called in a process (tests do, many times) leaves no handler behind."""
    handler = logging.StreamHandler(sys.stderr)  # the stderr of now: tests swap it per call
    handler.setFormatter(LineFormatter(f"vqa {command}"))
    root, ours = logging.getLogger(), logging.getLogger("vqa")
    level_before = ours.level
    root.addHandler(handler)
    ours.setLevel(logging.DEBUG if verbose or debug else logging.WARNING if quiet else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        ours.setLevel(level_before)


def one_line(text: str) -> str:
    """``text`` on one line: its non-blank lines joined with a space (messages of other libraries that
    an error message quotes can span lines)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
