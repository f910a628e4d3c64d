"""The one command-line program, `bigalpha` (I-CLI-1)."""

from bigalpha.cli.app import app, main

__all__ = ["app", "main"]
