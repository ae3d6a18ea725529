"""The ``vqa`` command: the top parser and the dispatch. Each subcommand is a module of this package
with ``add_parser(sub)`` and ``run(args)``; parsing stays in them, the work in library code."""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sys

from ..errors import VqaError
from . import ask, attention, batch, eval, graph, render, serve, train
from .common import EPILOG
from .logs import add_log_arguments, one_line, to_stderr

__all__ = ["main", "build_parser"]

COMMANDS = (ask, batch, eval, train, graph, render, serve, attention)  # in the order `vqa --help` lists them

# Importing torch, torchvision and detectron2 makes millions of objects that live as long as the process; with
# Python's default threshold (700) the collector walks them all 6 times during `vqa ask`: 0.8 s of its 5-6 s
# here. Collecting young objects every 50,000 allocations instead costs 0.2 s; the commands make little
# cyclic garbage (tensors are freed by reference counting), so memory stays the same.
GC_THRESHOLD = (50_000, 20, 100)

# One-shot commands that import torch: Python's teardown of torch's modules at exit costs about a quarter of
# `python -c "import torch, torchvision"` (0.75 of 3.3 s here), more than answering. Run as the process, they
# end with os._exit once stdout and stderr are flushed; every file they write is closed by then.
QUICK_EXIT = frozenset({"ask", "attention", "graph"})

log = logging.getLogger("vqa")


class Parser(argparse.ArgumentParser):
    """argparse's parser, with a usage error in one line (``vqa ask: error: argument --top-k: must be 1
    or more, got 0 (see --help)``) instead of the usage and then that line. The subcommands' parsers
    are of this class too: ``add_subparsers`` makes parsers of the parent's class."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqa", description="Scene-graph visual question answering.", epilog=EPILOG)
    add_log_arguments(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one ``vqa`` command: exit status 0, 2 for bad input (``VqaError``, one line on stderr),
    1 for any other error (a bug, or the system's: one line; ``--debug`` adds the traceback),
    130 when interrupted, 141 when the reader of stdout has gone (``vqa eval ... | head``).

    Without ``argv`` (the ``vqa`` program, ``python -m vqa``) this is the whole process: the garbage
    collector runs less often (``GC_THRESHOLD``) and the ``QUICK_EXIT`` commands skip Python's teardown."""
    entry = argv is None
    if entry:
        gc.set_threshold(*GC_THRESHOLD)
    try:
        try:
            code, command = _run(argv)
        finally:
            sys.stdout.flush()  # so that a reader gone early shows here, not in Python's flush at exit
    except BrokenPipeError:
        # Python's recipe: send what is left to devnull, so that the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    if entry and command in QUICK_EXIT:
        sys.stderr.flush()
        os._exit(code)
    return code


def _run(argv: list[str] | None) -> tuple[int, str]:
    # no blanket warning filters: the notices third-party code gives on our paths are silenced by name where
    # they arise (vqa.perception.clevr.compat), so that any other warning shows
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `vqa eval --nproc N` runs them again under torchrun
    if args.quiet and hasattr(args, "no_progress"):
        args.no_progress = True  # -q: no progress bars either
    with to_stderr(args.command, verbose=args.verbose, quiet=args.quiet, debug=args.debug):
        return _call(args), args.command


def _call(args) -> int:
    """``args.func(args)``'s exit status; an error as one line on stderr (``--debug``: and its traceback)."""
    try:
        return args.func(args)
    except VqaError as e:  # bad input: what and where, in one line
        log.error("%s", one_line(str(e)), exc_info=args.debug)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted", exc_info=args.debug)
        return 130
    except BrokenPipeError:
        raise  # main's: the reader of stdout has gone
    except OSError as e:  # the system's: a full disk, a permission, a closed connection
        hint = "" if args.debug else " (--debug shows the traceback)"
        log.error("%s%s", one_line(str(e)) or type(e).__name__, hint, exc_info=args.debug)
        return 1
    except Exception as e:  # a bug in vqa
        hint = "please report it with this traceback" if args.debug else "run again with --debug for the traceback"
        log.error("unexpected %s: %s (a bug in vqa; %s)", type(e).__name__, one_line(str(e)), hint,
                  exc_info=args.debug)
        return 1


if __name__ == "__main__":
    sys.exit(main())
