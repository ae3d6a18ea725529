"""Vocabularies, the single source of what the models can name: ``clevr`` (CLEVR's attributes and
answers) and ``coco`` (the 80 COCO classes, the photo colour names and the words people use for them).
Plain Python: the metrics import it without torch."""
