"""Errors users can act on. The CLI turns them into a one-line message and exit code 2."""

__all__ = ["VqaError", "ImageError", "QuestionError", "WeightsError", "DataError", "DeviceError"]


class VqaError(Exception):
    """Base class: the message says what was wrong, the value seen, and how to fix it."""


class ImageError(VqaError):
    """An image could not be read or is outside the documented limits."""


class QuestionError(VqaError):
    """A question is empty or cannot be encoded."""


class WeightsError(VqaError):
    """Weights or their config are missing, unreadable or do not match."""


class DataError(VqaError):
    """An input file (questions, scenes, predictions) is missing or malformed."""


class DeviceError(VqaError):
    """The device asked for (``--device``) is unknown or not available."""
