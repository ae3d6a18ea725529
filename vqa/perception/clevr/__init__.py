"""clevr."""
