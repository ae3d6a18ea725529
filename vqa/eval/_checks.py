"""Small shared helpers for input validation and averaging in the evaluators."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

from vqa.errors import DataError

__all__ = ["show", "first_few", "is_int", "mean", "require_list_of_dicts", "about", "check_coverage"]


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


def check_coverage(predicted: Iterable[Any], expected, allow_missing: bool, *, ids: str, source: str, fix: str,
                   questions: str, answer: str, missing_score: str) -> list[Any]:
    """The expected ids without a prediction (in ``expected``'s order); raises DataError for a predicted id
    that is not expected, and for missing ones unless ``allow_missing``. ``ids``: what the predicted ids
    are ("result question ids"); ``source``: where the expected ones come from ("annotations"), ``fix``:
    which file to evaluate against; ``questions``, ``answer``: the nouns of the missing message
    ("annotated questions" have no "result"); ``missing_score``: what allow_missing does ("score them 0")."""
    unknown = [i for i in predicted if i not in expected]
    if unknown:
        raise DataError(f"{len(unknown)} {ids} are not in the {source} (e.g. {first_few(unknown)}); "
                        f"evaluate against the {fix} you predicted on")
    predicted = predicted if isinstance(predicted, (dict, set, frozenset)) else set(predicted)
    missing = [i for i in expected if i not in predicted]
    if missing and not allow_missing:
        raise DataError(f"{len(missing)} of {len(expected)} {questions} have no {answer} (e.g. {first_few(missing)}); "
                        f"answer every question or pass allow_missing=True (--allow-missing in the CLI) to {missing_score}")
    return missing


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
