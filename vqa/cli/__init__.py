"""The ``vqa`` command line: ``main.py`` dispatches to one module per subcommand; the work is done in library code."""
from .main import main

__all__ = ["main"]
