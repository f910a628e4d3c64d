"""`bigalpha backtest` end to end: a simulated week (its 4-hour jobs on the simulated clock), the JSON keys,
the trades CSV, the HTML report, ablation and bad input."""

from __future__ import annotations

import csv
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bigalpha.backtest.market import sim_market
from bigalpha.backtest.results import TRADE_COLUMNS
from bigalpha.cli.app import app
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from sim_klines import write_sim_agg_trades, write_sim_klines

REQUIRED = (
    "bars",
    "trades",
    "final_equity",
    "net_pnl",
    "profit_factor",
    "win_rate",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "exposure_pct",
    "elapsed_s",
    "bars_per_s",
    "guards",
)
# One symbol and a long cool-down keep the week quick; the schedule does not depend on either.
QUICK = ["--symbols", "ETH", "--param", "setups.alpha_ofi.cooldown_minutes=240"]


def _run(args: list[str], tmp_path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env={"BIGALPHA_CONFIG": "", "COLUMNS": "200"}, catch_exceptions=False)
    return result.exit_code, result.output


def _summary(args: list[str], out: Path, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """A command that succeeds and writes its JSON summary to `out` (named in `args`): the summary and the output."""
    code, output = _run(args, tmp_path)
    assert code == 0, output
    return json.loads(out.read_text()), output


def test_a_simulated_week_runs_the_four_hour_jobs_and_writes_every_output(tmp_path: Path) -> None:
    """L-SHADOW-1, L-GUARD-1: the 4-hour review runs on the simulated clock, and the guard table comes from
    the blocked shadows. P-PERP-1: the trades carry fees and funding."""
    out = tmp_path / "o.json"
    trades = tmp_path / "t.csv"
    report = tmp_path / "r.html"
    data, output = _summary(
        ["backtest", "--sim", "--days", "7", *QUICK, "--json", str(out), "--trades-csv", str(trades),
         "--report", str(report), "--out", str(tmp_path / "store")],
        out,
        tmp_path,
    )  # fmt: skip
    assert all(key in data for key in REQUIRED), sorted(set(REQUIRED) - set(data))
    assert data["jobs"]["learning_review"] == 7 * 6  # every 4 hours of a week, on the simulated clock
    assert data["jobs"]["whale_threshold_tuning"] == 7 * 2  # L-OPT-1: every 12 hours of the week
    assert data["bars"] == 7 * 1440
    assert all({"blocked", "resized", "shadow_pnl"} <= set(row) for row in data["guards"].values())
    assert Path(data["store"]).is_file()
    assert Path(data["store"]).parent == tmp_path / "store"
    with trades.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0].keys()) == TRADE_COLUMNS if rows else True
    assert len(rows) == data["trades"] + data["open_trades"]
    for row in rows:
        assert float(row["quantity"]) > 0
        assert float(row["fees"]) > 0
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert "Plotly.newPlot" in page
    assert '<script src="http' not in page
    assert "<script src='http" not in page
    assert "Per exit reason" in page
    assert "Guards" in page
    assert data["params"] == {"setups.alpha_ofi.cooldown_minutes": 240}  # what the run used, converted
    assert "Settings changed for this run (--param)" in page
    # With --json the terminal gets the figures and the guard table, and where the files went.
    shown = [" ".join(line.split()) for line in output.splitlines()]
    for guard, row in data["guards"].items():
        assert f"{guard} {row['blocked']} {row['resized']} {row['shadow_pnl']:+.2f}" in shown
    assert f"wrote {out}, {trades}, {report}" in " ".join(output.split())


def test_ablation_reports_one_row_per_guard_whatever_the_runs_at_once(tmp_path: Path) -> None:
    """The baseline and the ablated runs made two at once, each in a forked worker, give the summary and the rows of
    the runs made one by one."""
    summaries = {}
    for jobs in (2, 1):
        out = tmp_path / f"o{jobs}.json"
        args = ["backtest", "--sim", "--days", "1", *QUICK, "--ablate", "--jobs", str(jobs), "--json", str(out)]
        summaries[jobs], _ = _summary([*args, "--out", str(tmp_path / f"store{jobs}")], out, tmp_path)
    from bigalpha.backtest.ablation import switchable_guards
    from bigalpha.config import Settings

    guards = switchable_guards(Settings())
    assert [row["guard"] for row in summaries[2]["ablation"]] == guards
    for row in summaries[2]["ablation"]:
        assert {"trades_delta", "profit_factor_delta_ci95", "max_drawdown_delta_ci95"} <= set(row)
    timing = {"elapsed_s", "bars_per_s", "store"}
    assert {k: v for k, v in summaries[2].items() if k not in timing} == {
        k: v for k, v in summaries[1].items() if k not in timing
    }
    assert summaries[2]["store"] == str(tmp_path / "store2" / "backtest-baseline.db")
    assert sorted(p.name for p in (tmp_path / "store2").iterdir()) == sorted(
        ["backtest-baseline.db", *(f"backtest-{guard}.db" for guard in guards)]
    )


def test_one_strategy_of_the_bot_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On ETH only Alpha-OFI trades (the setups trade BTC, SOL and XRP): the bot trading it alone is the bot. Without
    --out each run's store is written to a temporary folder and removed at the end."""
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    summaries = {}
    for strategy in ("bot", "alpha_ofi"):
        out = tmp_path / f"{strategy}.json"
        summaries[strategy], _ = _summary(
            ["backtest", "--sim", "--days", "2", *QUICK, "--strategy", strategy, "--json", str(out)], out, tmp_path
        )
    assert summaries["alpha_ofi"]["strategy"] == "alpha_ofi"
    assert summaries["bot"]["signals"] > 0
    assert summaries["bot"]["store"] is None
    assert list(temporary.iterdir()) == []
    timing = {"strategy", "elapsed_s", "bars_per_s", "store"}
    assert {k: v for k, v in summaries["alpha_ofi"].items() if k not in timing} == {
        k: v for k, v in summaries["bot"].items() if k not in timing
    }


def test_the_bot_on_history_files_enters_nothing_and_says_which_inputs_were_missing(tmp_path: Path) -> None:
    """R-STALE-1: the risk gate fails closed. Kline files have no open interest (R-T-3) and no long/short ratio
    (R-T-1), so every signal the gate lets through is refused, counted by rule and input, and the line after the
    figures says so. Lists and tables given with --param are JSON (a list also comma-separated)."""
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 2)
    folder = tmp_path / "klines"
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 2880, "BTC": 2880})
    out = tmp_path / "o.json"
    data, output = _summary(
        ["backtest", "--data", str(folder), "--json", str(out),
         "--param", "indicators.ofi_taker_weight=1.0",  # Alpha-OFI on taker flow alone: kline files have no book
         "--param", "risk.stale_checked_feeds=funding, health_factor",
         "--param", 'risk.max_short_share={"BTC": 0.5}'],
        out,
        tmp_path,
    )  # fmt: skip
    assert data["params"] == {
        "indicators.ofi_taker_weight": 1.0,
        "risk.stale_checked_feeds": ["funding", "health_factor"],
        "risk.max_short_share": {"BTC": 0.5},
    }
    assert data["signals"] > 0
    assert data["trades"] == data["open_trades"] == 0
    missing = data["missing_inputs"]
    assert missing["R-T-3 oi_change_pct: not in history file"] > 0
    assert set(missing) <= {"R-T-3 oi_change_pct: not in history file", "R-T-1 short_share: not in history file"}
    assert sum(missing.values()) == data["guards"]["risk:INPUT_UNAVAILABLE"]["blocked"]
    line = " ".join(output.split())
    assert f"the risk gate refused {sum(missing.values())} entries for inputs the data did not give" in line
    assert "R-T-3 oi_change_pct: not in history file" in line


def test_a_folder_of_daily_files_is_backtested_as_one_history(tmp_path: Path) -> None:
    """Binance publishes a file a day: the days of a symbol are joined into one series, so the run equals the run
    on one file holding them all."""
    dataset = generate(SimParams(seed=5, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 2)
    whole = tmp_path / "whole"
    write_sim_klines(sim_market(dataset, "sim", 5), whole, {"ETH": 2880})
    lines = (whole / "ETHUSDT-1m-2025-01-01.csv").read_text().splitlines(keepends=True)
    days = tmp_path / "days"
    days.mkdir()
    (days / "ETHUSDT-1m-2025-01-01.csv").write_text("".join(lines[:1440]))
    (days / "ETHUSDT-1m-2025-01-02.csv").write_text("".join(lines[1440:]))
    summaries = {}
    for folder in (whole, days):
        out = tmp_path / f"{folder.name}.json"
        args = ["backtest", "--data", str(folder), "--strategy", "sma_cross", "--param", "fast=5", "--param", "slow=20"]
        summaries[folder.name], _ = _summary([*args, "--json", str(out)], out, tmp_path)
    assert summaries["days"]["bars"] == 2880
    assert summaries["days"]["trades"] > 0
    differ = {"source", "elapsed_s", "bars_per_s"}
    assert {k: v for k, v in summaries["days"].items() if k not in differ} == {
        k: v for k, v in summaries["whole"].items() if k not in differ
    }


def test_start_end_and_timeframe_choose_the_part_of_the_history_backtested(tmp_path: Path) -> None:
    """`--start/--end` keep the bars opening in [start, end) (UTC unless a zone is given), `--timeframe` which
    candles of the folder; the summary records the window, in UTC."""
    dataset = generate(SimParams(seed=5, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 2)
    folder = tmp_path / "klines"
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 2880})
    sma = ["backtest", "--data", str(folder), "--strategy", "sma_cross", "--param", "fast=5", "--param", "slow=20"]
    out = tmp_path / "o.json"
    report = tmp_path / "r.html"
    data, _ = _summary([*sma, "--start", "2025-01-01T12:00", "--end", "2025-01-02T03:00+01:00", "--json", str(out),
                        "--report", str(report)], out, tmp_path)  # fmt: skip
    assert data["bars"] == 14 * 60  # 12:00 to 02:00 UTC
    assert data["window"] == {"start": "2025-01-01T12:00:00+00:00", "end": "2025-01-02T02:00:00+00:00"}
    assert data["period"] == data["window"]  # the first bar opens at the start, the last closes at the end
    assert "<p>bars opening in [2025-01-01T12:00:00+00:00, 2025-01-02T02:00:00+00:00)</p>" in report.read_text()
    data, _ = _summary([*sma, "--end", "2025-01-02", "--timeframe", "60s", "--json", str(out)], out, tmp_path)
    assert (data["bars"], data["bar_seconds"], data["window"]["start"]) == (1440, 60.0, None)
    data, printed = _summary([*sma, "--json", str(out)], out, tmp_path)
    assert data["bars"] == 2880
    assert "window" not in data
    assert "2,880 bars from 2025-01-01 00:00 to 2025-01-03 00:00 UTC" in " ".join(printed.split())
    assert data["period"] == {"start": "2025-01-01T00:00:00+00:00", "end": "2025-01-03T00:00:00+00:00"}
    code, output = _run(sma, tmp_path)  # not a terminal and no --json: the summary on stdout
    assert code == 0
    assert json.loads(output)["period"]["end"] == "2025-01-03T00:00:00+00:00"
    data, _ = _summary([*sma, "--symbols", "ethusdt", "--json", str(out)], out, tmp_path)
    assert (data["symbols"], data["bars"]) == (["ETH"], 2880)
    code, output = _run([*sma, "--symbols", "BTC"], tmp_path)
    assert code == 2
    assert "--symbols: " in output
    assert "holds no candles of BTC (its symbols: ETH)" in output.replace("\n", " ")
    code, output = _run([*sma, "--start", "2025-02-01"], tmp_path)
    assert code == 2
    assert "has no bar opening in [2025-02-01T00:00:00+00:00, …) (ETH 1m 2025-01-01T00:00:00+00:00 → " in (
        output.replace("\n", " ")
    )
    code, output = _run([*sma, "--timeframe", "1h"], tmp_path)
    assert code == 2
    assert "--timeframe 1h: " in output
    assert "holds 1m candles only" in output.replace("\n", " ")


def test_the_bot_warms_its_indicators_up_on_the_bars_before_start(tmp_path: Path) -> None:
    """A-HURST-1: `--start` on history keeps, by default, the longest indicator window's bars before it (100) for the
    indicators alone; the summary, the terminal and the report say so. `--warmup 0` keeps none."""
    dataset = generate(SimParams(seed=5, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 1)
    folder = tmp_path / "klines"
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 1440})
    bot = ["backtest", "--data", str(folder), "--param", "indicators.ofi_taker_weight=1.0"]
    window = ["--start", "2025-01-01T12:00", "--end", "2025-01-01T18:00"]
    out, report = tmp_path / "o.json", tmp_path / "r.html"
    data, printed = _summary([*bot, *window, "--json", str(out), "--report", str(report)], out, tmp_path)
    assert (data["bars"], data["warmup_ticks"]) == (6 * 60, 100)
    assert data["period"] == {"start": "2025-01-01T12:00:00+00:00", "end": "2025-01-01T18:00:00+00:00"}
    assert "after a warm-up of 100 bars the indicators alone read" in " ".join(printed.split())
    assert "after a warm-up of 100 bars the indicators alone read</p>" in report.read_text()
    data, printed = _summary([*bot, *window, "--warmup", "0", "--json", str(out)], out, tmp_path)
    assert (data["bars"], data["warmup_ticks"]) == (6 * 60, 0)
    assert "warm-up" not in printed


def test_aggtrades_files_in_the_folder_give_the_whale_intent_guard_its_data(tmp_path: Path) -> None:
    """`--data FOLDER` reads a symbol's daily aggTrades files (joined by trade id) into its whale flow: G-WHALE-3
    judges and blocks, where on klines alone it has no data and blocks nothing."""
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 2)
    folder = tmp_path / "archives"
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 2880})
    summaries = {}
    for name in ("klines", "trades"):
        if name == "trades":
            write_sim_agg_trades(dataset, folder, ("ETH",))
        out = tmp_path / f"{name}.json"
        args = ["backtest", "--data", str(folder), "--param", "indicators.ofi_taker_weight=1.0", "--json", str(out)]
        summaries[name], _ = _summary(args, out, tmp_path)
    assert "WHALE_INTENT" not in summaries["klines"]["guards"]
    assert summaries["trades"]["guards"]["WHALE_INTENT"]["blocked"] > 0


def test_sma_cross_on_a_dataset_folder(tmp_path: Path) -> None:
    dataset = tmp_path / "ds"
    code, output = _run(["sim", "--days", "1", "--symbols", "BTC,ETH", "--out", str(dataset)], tmp_path)
    assert code == 0, output
    out = tmp_path / "o.json"
    data, _ = _summary(
        ["backtest", "--data", str(dataset), "--strategy", "sma_cross", "--param", "fast=5", "--param", "slow=20",
         "--stop-pct", "1", "--json", str(out)],
        out,
        tmp_path,
    )  # fmt: skip
    assert data["bars"] == 2 * 1440
    assert data["trades"] > 0
    assert "guards" not in data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "/nonexistent/file.csv"], "/nonexistent/file.csv does not exist"),
        (["--sim", "--strategy", "magic"], "unknown strategy; choose one of bot, alpha_ofi, s-btc-l"),
        (
            ["--sim", "--strategy", "s-xrp-sq", "--param", "setups.xrp_squeeze.enabled=false"],
            "switch it on with --param setups.xrp_squeeze.enabled=true",
        ),
        (["--sim", "--strategy", "sma_cross", "--param", "fast"], "write key=value"),
        (["--sim", "--strategy", "sma_cross", "--param", "speed=3"], "sma_cross takes fast, slow"),
        (["--sim", "--strategy", "sma_cross", "--param", "fast=x"], "whole number"),
        (["--sim", "--param", "gate.nope=1"], "unknown setting 'gate.nope'"),
        (["--sim", "--param", "gate.liq_wall_pct=lots"], "gate.liq_wall_pct"),
        (
            ["--sim", "--param", "risk.stale_checked_feeds=[funding"],
            "risk.stale_checked_feeds takes a list, written as",
        ),
        (["--sim", "--param", "risk.max_short_share=BTC"], "risk.max_short_share takes a table, written as JSON"),
        (["--sim", "--param", "risk.stale_checked_feeds=funding,books"], "books"),
        (["--sim", "--symbols", "DOGE"], "no market for DOGE"),
        ([], "exactly one market"),
        (["--sim", "--ablate", "--jobs", "0"], "--jobs: must be at least 1, got 0"),
        (["--sim", "--jobs", "2"], "use it with --ablate"),
        (["--sim", "--resume-after", "tomorrow"], "--resume-after: 'tomorrow': give a duration such as 90s"),
        (["--sim", "--reset-after", "-2h"], "--reset-after: '-2h': give a duration"),
        (["--sim", "--strategy", "sma_cross", "--resume-after", "1h"], "sma_cross has no risk gate"),
        (["--sim", "--start", "2025-01-01"], "--start: chooses part of --data; the simulator runs --days"),
        (["--sim", "--timeframe", "1h"], "--timeframe: chooses part of --data"),
        (["--data", ".", "--start", "soon"], "--start: 'soon': give a date (2025-01-01) or a time"),
        (["--data", ".", "--end", "2025-13-01"], "--end: '2025-13-01': give a date"),
        (
            ["--data", ".", "--start", "2025-02-01", "--end", "2025-01-01"],
            "--start 2025-02-01T00:00:00+00:00 is not before --end 2025-01-01T00:00:00+00:00",
        ),
        (["--data", ".", "--timeframe", "fortnight"], "--timeframe: timeframe 'fortnight' is not"),
        (["--data", ".", "--warmup", "-1"], "--warmup: a number of bars, 0 or more; got -1"),
        (["--sim", "--warmup", "10"], "--warmup: keeps bars before --start of --data; the simulator has none"),
        (["--data", ".", "--strategy", "sma_cross", "--warmup", "5"], "the warm-up is the bot's"),
    ],
)
def test_bad_input_fails_with_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = _run(["backtest", *args], tmp_path)
    assert code == 2
    assert message in output.replace("\n", " ")
    assert "Traceback" not in output


# ETH over five days pauses (R-M-3) on the first and, with a person resuming an hour later, trips R-K-2 on the fourth.
SUPERVISED = ["--sim", "--symbols", "ETH", "--days", "5"]
PERSON = ["--resume-after", "1h", "--reset-after", "2h"]
PERSON_DELAYS = {"resume_after_s": 3600.0, "reset_after_s": 7200.0}


def test_a_person_modelled_at_the_desk_lifts_the_latches(tmp_path: Path) -> None:
    """R-M-3, R-K-4: unattended, the first pause holds to the end and the summary says so with the option that
    models a person; with `--resume-after` and `--reset-after`, the run trades on and the JSON records the delays."""
    args = ["backtest", *SUPERVISED]
    out = tmp_path / "alone.json"
    alone, output = _summary([*args, "--json", str(out), "--out", str(tmp_path / "alone")], out, tmp_path)
    assert alone["paused_times"] == 1
    assert alone["paused_pct"] > 50.0
    assert alone["supervision"] == {"resume_after_s": None, "reset_after_s": None}
    text = output.replace("\n", " ")
    assert "trading paused (R-M-3) 1x" in text
    assert "unless --resume-after models a person" in text

    out = tmp_path / "attended.json"
    attended, output = _summary(
        [*args, *PERSON, "--json", str(out), "--out", str(tmp_path / "at"), "--report", str(tmp_path / "at.html")],
        out,
        tmp_path,
    )  # fmt: skip
    assert attended["supervision"] == PERSON_DELAYS
    assert attended["paused_times"] > 1
    assert attended["paused_pct"] < alone["paused_pct"]
    assert attended["trades"] > alone["trades"]
    assert "models a person" not in output.replace("\n", " ")
    spells = attended["latches"]
    assert len(spells) == attended["paused_times"] + attended["kill_switch_times"]
    assert {spell["lifted_by"] for spell in spells if spell["to"] is not None} == {"backtest:supervisor"}
    page = (tmp_path / "at.html").read_text()
    assert "Trading halts" in page
    assert page.count("backtest:supervisor") >= attended["paused_times"] - 1


def test_every_ablation_run_has_the_same_person_at_the_desk(tmp_path: Path) -> None:
    """R-M-3 and the ablation: each guard-off run, made in a worker of its own, is lifted by the same simulated person
    as the baseline, so none of them stops trading at the first pause (alone, the baseline trades twice)."""
    out = tmp_path / "ablation.json"
    data, _ = _summary(
        ["backtest", *SUPERVISED, *PERSON, "--ablate", "--jobs", "2", "--json", str(out), "--out", str(tmp_path / "abl")],
        out,
        tmp_path,
    )  # fmt: skip
    assert data["supervision"] == PERSON_DELAYS
    assert data["paused_times"] > 1
    assert min(row["trades"] for row in data["ablation"]) > 2
