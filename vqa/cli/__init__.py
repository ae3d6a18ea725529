"""The ``vqa`` command line: one function per subcommand, work done in library code."""
from .main import main

__all__ = ["main"]
