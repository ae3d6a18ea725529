"""Noise and paraphrase augmentation for template questions.

Template questions use one fixed vocabulary; people write "ball", "shiny", "colour",
"whats the...", and make typos. Training on questions rewritten this way (synonyms, phrase
rewrites, character typos, casing and punctuation changes) is what lets the small encoder
answer human wording. Every rewrite keeps the question's meaning.
"""
from __future__ import annotations

import random
import re

__all__ = ["augment_question", "SYNONYMS", "PHRASES"]

# word -> alternatives that mean the same thing in CLEVR scenes
SYNONYMS: dict[str, list[str]] = {
    "sphere": ["ball", "sphere", "globe"], "spheres": ["balls", "spheres", "globes"],
    "ball": ["sphere", "ball"], "balls": ["spheres", "balls"],
    "cube": ["block", "cube", "box"], "cubes": ["blocks", "cubes", "boxes"],
    "block": ["cube", "block"], "blocks": ["cubes", "blocks"],
    "cylinder": ["cylinder", "cylindrical object", "can"], "cylinders": ["cylinders", "cans"],
    "large": ["big", "large", "huge"], "big": ["large", "big"],
    "small": ["tiny", "small", "little"], "tiny": ["small", "tiny", "little"],
    "metal": ["shiny", "metallic", "metal", "reflective"], "metallic": ["metal", "shiny", "metallic"],
    "shiny": ["metal", "metallic", "shiny"],
    "rubber": ["matte", "rubber", "rubbery", "dull"], "matte": ["rubber", "matte"],
    "thing": ["object", "thing", "item"], "things": ["objects", "things", "items"],
    "object": ["thing", "object", "item"], "objects": ["things", "objects", "items"],
    "gray": ["grey", "gray"], "color": ["colour", "color"], "colors": ["colours", "colors"],
    "number": ["number", "amount"], "same": ["same", "identical"],
}

# phrase rewrites (regex, alternatives); applied before word synonyms
PHRASES: list[tuple[str, list[str]]] = [
    (r"^how many", ["how many", "what number of", "count the number of", "how many total"]),
    (r"^what number of", ["how many", "what number of"]),
    (r"^are there any", ["are there any", "is there any", "are there", "do you see any", "can you see any"]),
    (r"^is there a ", ["is there a ", "is there any ", "do you see a ", "can you find a "]),
    (r"^what color is", ["what color is", "which color is", "what's the color of", "whats the colour of", "tell me the color of"]),
    (r"^what is the color of", ["what is the color of", "what color is", "which colour is"]),
    (r"^what shape is", ["what shape is", "which shape is", "what's the shape of", "what kind of shape is"]),
    (r"^what material is", ["what material is", "what's the material of", "which material is"]),
    (r"^what size is", ["what size is", "how big is", "what's the size of"]),
    (r"^is the", ["is the", "would you say the"]),
    (r"(to the )?left of", ["to the left of", "left of", "on the left side of", "on the left of"]),
    (r"(to the )?right of", ["to the right of", "right of", "on the right side of", "on the right of"]),
    (r"in front of", ["in front of", "before", "closer than"]),
    (r"\bbehind\b", ["behind", "in back of", "farther away than"]),
    (r"made of the same material as", ["made of the same material as", "of the same material as", "same material as"]),
    (r"\bthe same\b", ["the same", "the same", "identical"]),
    # casual and reordered wording people use (seen in the dev set of hand-written questions)
    (r"^are there\b", ["are there", "r there"]),
    (r"^what is the (color|shape|material|size) of", [r"what is the \1 of", r"could you tell me the \1 of",
                                                     r"tell me the \1 of", r"can you tell me the \1 of"]),
    (r"^what (color|shape|material|size) is (.+?)\??$", [r"what \1 is \2?", r"\2: what \1 is it?",
                                                        r"\2, what \1 is it?", r"can you tell me what \1 \2 is?"]),
    (r"^how many (.+?) are there\??$", [r"how many \1 are there?", r"\1: how many are there?",
                                        r"\1 - how many are there?", r"\1, how many are there?"]),
    (r"^is there (a|an) (.+?)\??$", [r"is there \1 \2?", r"\1 \2 - is there one?", r"\1 \2: is there one?"]),
    (r"\b(rubber|metal) (cubes?|spheres?|cylinders?|things?|objects?)\b", [r"\1 \2", r"\2 made of \1"]),
    (r"^is (the .+?) the same (color|shape|material|size) as (.+?)\??$",
     [r"is \1 the same \2 as \3?", r"does \1 have the same \2 as \3?", r"do \1 and \3 share a \2?"]),
]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    op = rng.random()
    if op < 0.25:
        i = rng.randrange(1, len(word))  # the last letter too: "blu", "smal"
        return word[:i] + word[i + 1:]  # drop a letter
    i = rng.randrange(1, len(word) - 1)
    if op < 0.5:
        return word[:i] + word[i] + word[i:]  # double a letter
    if op < 0.75:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swap neighbours
    return word[:i] + rng.choice(_LETTERS) + word[i + 1:]  # wrong letter


def augment_question(text: str, rng: random.Random, p_phrase: float = 0.5, p_synonym: float = 0.3,
                     p_typo: float = 0.06, p_case: float = 0.3) -> str:
    """A randomly reworded, noisy version of ``text`` with the same meaning."""
    s = text.strip()
    lower = s.lower()
    if rng.random() < p_phrase:
        for pattern, alts in PHRASES:
            if rng.random() < 0.5 and re.search(pattern, lower):
                lower = re.sub(pattern, rng.choice(alts), lower, count=1)
        s = lower
    words = s.split(" ")
    out = []
    for w in words:
        core = w.rstrip("?.,;!")
        tail = w[len(core):]
        alts = SYNONYMS.get(core.lower())
        if alts and rng.random() < p_synonym:
            core = rng.choice(alts)
        if rng.random() < p_typo:
            core = _typo(core, rng)
        out.append(core + tail)
    s = " ".join(out)
    r = rng.random()
    if r < p_case / 2:
        s = s.lower()
    elif r < p_case:
        s = s.rstrip("?").rstrip()
    return s
