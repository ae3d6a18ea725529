"""Errors users can act on. The CLI turns them into a one-line message and exit code 2.

``InputError`` is everything wrong with what a user handed in (an image, a question, a data
file); ``WeightsError`` is a model file that is missing or damaged.
"""

__all__ = ["VqaError", "InputError", "ImageError", "QuestionError", "WeightsError", "DataError", "DeviceError"]


class VqaError(Exception):
    """Base class: the message says what was wrong, the value seen, and how to fix it."""


class InputError(VqaError):
    """Something the user handed in is unreadable, malformed or outside the documented limits."""


class ImageError(InputError):
    """An image could not be read or is outside the documented limits."""


class QuestionError(InputError):
    """A question is empty or cannot be encoded."""


class WeightsError(VqaError):
    """Weights or their config are missing, unreadable or do not match."""


class DataError(InputError):
    """An input file (questions, scenes, predictions) is missing or malformed.

    ``source`` names which input the message is about ("predictions", "questions", "annotations",
    "choices", "scene_graphs", "attentions") when the code that found the problem saw only the
    loaded JSON, so that the CLI can name the file; None when the message already names it.
    """

    source: str | None = None


class DeviceError(VqaError):
    """The device asked for (``--device``) is unknown or not available."""
