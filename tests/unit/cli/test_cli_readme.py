"""The README's commands work as written (docs are tested). Commands that trade, simulate for minutes or
reach the network are checked for their options only (`--help` after the README's arguments)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigalpha.cli import app

ROOT = Path(__file__).resolve().parents[3]
SLOW_OR_NETWORK = ("run", "backtest", "optimize", "sim", "data check")


def _readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = text.split("## Using it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for raw in block.splitlines():
        command = raw.split("#", 1)[0].strip()
        if command.startswith(".venv/bin/bigalpha"):
            commands.append(shlex.split(command)[1:])
    return commands


COMMANDS = _readme_commands()


def test_the_readme_lists_commands() -> None:
    assert len(COMMANDS) >= 8


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) or "bigalpha" for c in COMMANDS])
def test_readme_command(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("BIGALPHA")]:
        monkeypatch.delenv(name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    joined = " ".join(args)
    if any(joined == name or joined.startswith(name + " ") for name in SLOW_OR_NETWORK):
        args = [*args, "--help"]
    if "FILE" in args:  # `data inspect FILE`: a small file of the documented plain-CSV layout
        sample = tmp_path / "candles.csv"
        sample.write_text(
            "timestamp,open,high,low,close,volume\n1735689600000,1,2,0.5,1.5,10\n1735689660000,1.5,2,1,1.8,12\n"
        )
        args = [str(sample) if a == "FILE" else a for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"bigalpha {' '.join(args)}:\n{result.output}"
    assert re.search(r"\S", result.output)
