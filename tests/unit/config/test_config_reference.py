"""docs/configuration.md is generated from the settings and must stay equal to the generator's output."""

from __future__ import annotations

from pathlib import Path

from bigalpha.config.reference import configuration_reference

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_configuration_reference_is_current() -> None:
    expected = configuration_reference() + "\n"
    assert DOC.read_text() == expected, "regenerate with: .venv/bin/bigalpha config reference > docs/configuration.md"
