"""``python -m vqa`` = the ``vqa`` command."""
import sys

from .cli.main import main

sys.exit(main())
