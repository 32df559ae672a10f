"""Allow ``python -m archiver``."""

from archiver.cli import run

run()
