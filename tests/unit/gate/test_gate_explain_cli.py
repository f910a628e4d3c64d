"""`bigalpha explain` and the worked cases of docs/gate.md (docs are tested: each command shown there is run
and its printed output compared)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigalpha.cli import app

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "docs" / "examples"
GATE_DOC = ROOT / "docs" / "gate.md"
runner = CliRunner(env={"COLUMNS": "100", "BIGALPHA_CONFIG": "", "NO_COLOR": "1"})


def explain(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["explain", *args], input=stdin)


@pytest.mark.parametrize(
    ("case", "allowed", "multiplier", "blocked_by", "reason"),
    [
        ("gate_ultra_allow.json", True, 2.5, None, None),
        ("gate_liq_wall_block.json", False, 0.0, "LIQ_WALL", "LIQ_WALL_CONFLICT"),
        ("gate_failopen_fear_greed.json", True, 0.6, None, None),
    ],
)
def test_documented_cases_give_their_verdicts(case, allowed, multiplier, blocked_by, reason):
    """G-WHALE-2 (ULTRA allow), G-LIQ-1 (LIQ_WALL_CONFLICT), D-FAILOPEN + G-FG-1 (fail-open and 0.6×)."""
    result = explain("--case", str(EXAMPLES / case), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["allowed"], out["blocked_by"], out["reason"]) == (allowed, blocked_by, reason)
    assert out["size_multiplier"] == pytest.approx(multiplier)


def test_fail_open_case_reports_the_missing_data_as_events():
    """D-FAILOPEN / G-BUS-1: each fail-open guard is a GUARD_DATA_UNAVAILABLE event naming its data."""
    out = json.loads(explain("--case", str(EXAMPLES / "gate_failopen_fear_greed.json"), "--json").stdout)
    unavailable = {
        e["guard"]: e["data"]["data_unavailable"] for e in out["events"] if e["type"] == "GUARD_DATA_UNAVAILABLE"
    }
    assert set(unavailable) == {"LIQ_WALL", "ULTRA_CONVICTION"}
    assert "heatmap" in unavailable["LIQ_WALL"]
    assert [e["type"] for e in out["events"] if e["guard"] == "FEAR_GREED"] == ["GUARD_RESIZE"]
    assert all(e["source"] == "intelligence_gate" for e in out["events"])


def test_a_case_can_come_on_standard_input():
    text = (EXAMPLES / "gate_liq_wall_block.json").read_text()
    result = explain("--json", stdin=text)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["reason"] == "LIQ_WALL_CONFLICT"


def test_config_overrides_in_the_case_apply():
    """G-LIQ-1 limit from config: with a 0.3% limit the 0.4% cluster no longer blocks."""
    case = json.loads((EXAMPLES / "gate_liq_wall_block.json").read_text())
    case["config"] = {"gate": {"liq_wall_pct": 0.003}}
    out = json.loads(explain("--json", stdin=json.dumps(case)).stdout)
    assert out["allowed"] is True


def test_hurst_alone_is_classified_into_its_regime():
    """A-HURST-2 / G-HURST-1: a case giving H = 0.55 without a regime is a random walk → × 0.5."""
    case = json.loads((EXAMPLES / "gate_liq_wall_block.json").read_text())
    case["context"]["short_clusters"] = []
    case["context"]["hurst"] = 0.55
    case["context"]["ofi"] = 0.0
    out = json.loads(explain("--json", stdin=json.dumps(case)).stdout)
    assert out["size_multiplier"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["signal"].update(side="BUY"), "signal.side: Input should be 'LONG' or 'SHORT'"),
        (
            lambda c: c["context"].update(fear_greed=130),
            "context.fear_greed: Input should be less than or equal to 100",
        ),
        (lambda c: c["context"].update(symbol="ETH"), "must match"),
        (lambda c: c["signal"].update(ts="2025-12-26T11:05:00"), "signal.ts: Input should have timezone info"),
        (lambda c: c.update(learned={"whale_threshold_usd": 0}), "learned.whale_threshold_usd"),
        (lambda c: c.update(config={"gate": {"taker_min_ratio": -1}}), "config.gate.taker_min_ratio"),
        (lambda c: c.update(extra=1), "extra: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_case_names_the_field_and_exits_2(mutate, message):
    """Bad input gets a clear error naming the field, never a traceback."""
    case = json.loads((EXAMPLES / "gate_liq_wall_block.json").read_text())
    mutate(case)
    result = explain(stdin=json.dumps(case))
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


def test_not_json_and_missing_file_exit_2(tmp_path):
    assert explain(stdin="{nope").exit_code == 2
    result = explain("--case", str(tmp_path / "absent.json"))
    assert result.exit_code == 2
    assert "cannot read" in " ".join(result.stderr.split())
    assert explain(stdin="[1, 2]").exit_code == 2


def test_schema_describes_the_case_file():
    result = explain("--schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) == {"signal", "context", "learned", "config"}
    assert schema["additionalProperties"] is False
    assert "whale_intent_cvd_usd" in json.dumps(schema)


def _documented_runs() -> list[tuple[str, str]]:
    text = GATE_DOC.read_text(encoding="utf-8")
    runs = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        command, _, output = block.partition("\n")
        runs.append((command.removeprefix("$ ").strip(), output))
    return runs


def test_docs_show_three_worked_cases():
    runs = _documented_runs()
    assert len([c for c, _ in runs if "docs/examples/" in c]) >= 3


@pytest.mark.parametrize(("command", "expected"), _documented_runs())
def test_each_documented_command_prints_what_the_docs_show(command, expected, monkeypatch):
    """Docs are tested: the output under each `$ bigalpha …` line of docs/gate.md is what the command prints."""
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)
    assert args[0] == "bigalpha"
    result = runner.invoke(app, args[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip() == expected.rstrip()
