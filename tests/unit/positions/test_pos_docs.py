"""docs/positions.md's example is executed: the documented calls and numbers stay true."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "positions.md"


def test_positions_doc_example_runs() -> None:
    """P-STOP-1, P-WALL-1, P-HOLD-2 as documented: the example's asserts hold when it runs."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    assert "decision" in namespace
