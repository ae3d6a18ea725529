"""Small shared helpers for input validation and averaging in the evaluators."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

from vqa.errors import DataError

__all__ = ["show", "first_few", "is_int", "mean", "require_list_of_dicts", "about"]


def show(value: Any, limit: int = 60) -> str:
    """repr() of a value, cut short so an error message stays on one line."""
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_few(items: Iterable[Any], n: int = 5) -> str:
    """The first n items, sorted where possible, for error messages."""
    items = list(items)
    try:
        items = sorted(items)
    except TypeError:
        pass
    head = ", ".join(show(i, 30) for i in items[:n])
    return head + (", ..." if len(items) > n else "")


def is_int(value: Any) -> bool:
    """True for real ints; bool is an int subclass but never a valid id."""
    return isinstance(value, int) and not isinstance(value, bool)


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; 0.0 for an empty list, like the official evaluators' avg()."""
    return float(sum(values)) / len(values) if values else 0.0


def require_list_of_dicts(value: Any, what: str, fix: str) -> list:
    """Check that value is a list whose items are all dicts."""
    if not isinstance(value, list):
        raise DataError(f"{what} must be a JSON list of objects, got {type(value).__name__} {show(value)}; {fix}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise DataError(f"{what}[{i}] must be an object, got {type(item).__name__} {show(item)}; {fix}")
    return value


@contextmanager
def about(source: str) -> Iterator[None]:
    """Mark the DataErrors raised inside as being about the input ``source`` ("predictions",
    "questions", ...), so that the CLI can put the file's name in front; an error already marked
    keeps its mark."""
    try:
        yield
    except DataError as e:
        if e.source is None:
            e.source = source
        raise
