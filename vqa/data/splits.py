"""The project's own hold-out split of the shared CLEVR scenes.

Validation = scenes whose ``image_index`` is a multiple of 5 (186 of the 932 annotated scenes,
52 of the 199 real images). Nothing trains on them: the reasoner, the detector and any tuning
use only the other scenes plus freshly generated ones.
"""

__all__ = ["is_validation"]


def is_validation(image_index: int) -> bool:
    return image_index % 5 == 0
