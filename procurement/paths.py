"""Where the project's non-Python files live.

The templates sit at the top of the repository (a required layout), beside the packages;
the project is installed in editable mode by the Makefile, so they are found from here.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
