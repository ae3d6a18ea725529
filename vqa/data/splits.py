"""The project's own hold-out splits of the shared CLEVR scenes.

Validation = scenes whose ``image_index`` is a multiple of 5 (186 of the 932 annotated scenes,
52 of the 199 real images). Nothing trains on them: the reasoner, the detector and any tuning
use only the other scenes plus freshly generated ones.

Development = scenes whose index is 1 modulo 5 (34 of the real images). The shipped models train
on them; ``vqa train detector --dev-holdout`` leaves them out instead, so that a change to the
detector's recipe can be judged on real images without looking at the validation split.
"""

__all__ = ["is_validation", "is_development"]


def is_validation(image_index: int) -> bool:
    return image_index % 5 == 0


def is_development(image_index: int) -> bool:
    return image_index % 5 == 1
