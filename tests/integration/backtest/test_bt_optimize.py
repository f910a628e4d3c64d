"""L-OPT-2 end to end: `bigalpha optimize` searches the gate and exit thresholds over backtests of the whole bot,
keeps its study in a database (SQLite by default, PostgreSQL by URL), and workers running at once with the same
study add their trials to it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import optuna
import pytest
import sqlalchemy
import typer
from typer.testing import CliRunner

from bigalpha.backtest import history_trades
from bigalpha.backtest.market import sim_market
from bigalpha.backtest.optimize import optimize, search_space
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.cli.app import app
from bigalpha.config import Settings
from bigalpha.config.overrides import with_overrides
from bigalpha.data.sim import SimParams, generate
from bigalpha.data.sim.params import default_symbols
from sim_klines import write_sim_agg_trades, write_sim_klines, write_sim_metrics

SPACE = {"gate.taker_min_ratio": [0.9, 1.4], "positions.default_stop_pct": [0.004, 0.03]}
SIM = ["--sim", "--symbols", "ETH", "--days", "2"]


def test_each_trial_is_a_backtest_of_its_settings_and_a_study_goes_on_where_it_stopped(tmp_path: Path) -> None:
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    market = sim_market(
        generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 2), "sim", 5
    )
    settings = Settings()
    space = search_space(settings, SPACE)
    stores = iter(range(100))

    def run(chosen: Settings) -> Any:
        return run_whole_bot(chosen, market, tmp_path / f"run-{next(stores)}.db")

    storage = f"sqlite:///{tmp_path}/studies.db"
    first = optimize(
        settings, run, space, objective="net_pnl", trials=3, study="eth", storage=storage, min_trades=1, seed=5
    )
    assert (first.ran, len(first.trials)) == (3, 3)
    for row in first.trials:
        assert 0.9 <= row.params["gate.taker_min_ratio"] <= 1.4
        assert 0.004 <= row.params["positions.default_stop_pct"] <= 0.03
    best = first.best
    assert best is not None
    again = run_whole_bot(with_overrides(settings, best.params), market, tmp_path / "again.db")
    assert again.metrics.net_pnl == best.value  # the trial's value is its settings' backtest, to the bit
    assert again.metrics.trades == best.figures["trades"]
    more = optimize(settings, run, space, objective="net_pnl", trials=2, study="eth", storage=storage, min_trades=1)
    assert (more.ran, len(more.trials)) == (2, 5)
    assert [row.number for row in more.trials] == [0, 1, 2, 3, 4]


def test_trials_run_at_once_in_forked_workers_fill_the_study(tmp_path: Path) -> None:
    """`jobs=2`: trials made two at a time in processes forked from this one (the market shared), each with a
    sampler seeded apart (forked samplers seeded alike would propose the same values), each a backtest of its
    settings."""
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    market = sim_market(
        generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 2), "sim", 5
    )
    settings = Settings()
    storage = f"sqlite:///{tmp_path}/forked.db"
    progress: list[tuple[int, int]] = []

    numbers = iter(range(100))

    def run(chosen: Settings) -> Any:
        return run_whole_bot(chosen, market, tmp_path / f"run-{os.getpid()}-{next(numbers)}.db")

    outcome = optimize(
        settings, run, search_space(settings, SPACE), objective="net_pnl", trials=4, study="forked", storage=storage,
        min_trades=0, seed=11, jobs=2, done=lambda d, t: progress.append((d, t)),
    )  # fmt: skip
    assert (outcome.ran, len(outcome.trials)) == (4, 4)
    assert {row.state for row in outcome.trials} == {"COMPLETE"}
    assert len({tuple(sorted(row.params.items())) for row in outcome.trials}) == 4
    # told as trials finish: two finishing together are told at once
    assert progress[-1] == (4, 4)
    assert [count for count, _ in progress] == sorted({count for count, _ in progress})
    row = outcome.trials[2]
    again = run_whole_bot(with_overrides(settings, row.params), market, tmp_path / "again.db")
    assert again.metrics.net_pnl == row.value


def test_ctrl_c_ends_the_run_with_what_the_study_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Interrupted in its third trial, a run ends with exit code 130 and says how far it got; the study keeps the two
    finished trials and marks the interrupted one failed, and the next run goes on from there."""
    from bigalpha.cli.optimize_cmd import _run_study, _StudyRun

    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    market = sim_market(
        generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 1), "sim", 5
    )
    settings = Settings()
    calls = iter(range(100))

    def run(chosen: Settings) -> Any:
        call = next(calls)
        if call == 2:
            raise KeyboardInterrupt
        return run_whole_bot(chosen, market, tmp_path / f"run-{call}.db")

    storage = f"sqlite:///{tmp_path}/c.db"
    study_run = _StudyRun("ctrl-c", storage, "net_pnl", 5, 0, 1, 1)
    with pytest.raises(typer.Exit) as stopped:
        _run_study(settings, run, search_space(settings, SPACE), study_run)
    assert stopped.value.exit_code == 130
    assert "interrupted after 2 of 5 trials: the study ctrl-c keeps every finished trial" in " ".join(
        capsys.readouterr().err.split()
    )
    assert [t.state.name for t in optuna.load_study(study_name="ctrl-c", storage=storage).trials] == [
        "COMPLETE",
        "COMPLETE",
        "FAIL",
    ]
    outcome = _run_study(settings, run, search_space(settings, SPACE), study_run._replace(trials=1))
    assert (outcome.ran, len(outcome.trials)) == (1, 4)


def _optimize(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "BIGALPHA_CONFIG": ""}
    command = [sys.executable, "-m", "bigalpha", "optimize", *SIM, "--min-trades", "0", *args]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_workers_at_once_share_one_study(tmp_path: Path) -> None:
    """L-OPT-2: workers running the optimizer together with the same study and storage add to one study."""
    storage = f"sqlite:///{tmp_path}/shared.db"
    space = ["--space", "gate.taker_min_ratio=0.9:1.4"]
    workers = [
        _optimize(
            [*space, "--trials", "2", "--study", "shared", "--storage", storage, "--json", f"w{k}.json"], tmp_path
        )
        for k in (1, 2)
    ]
    finished = [worker.communicate(timeout=600) for worker in workers]  # both ended before anything is asserted
    for worker, (_, errors) in zip(workers, finished, strict=True):
        assert worker.returncode == 0, errors
    outcomes = [json.loads((tmp_path / f"w{k}.json").read_text()) for k in (1, 2)]
    assert [o["ran"] for o in outcomes] == [2, 2]
    assert max(o["trials_total"] for o in outcomes) == 4
    assert len(optuna.load_study(study_name="shared", storage=storage).trials) == 4


def test_the_default_storage_is_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    worker = _optimize(["--space", "positions.hold.base_minutes=15:60", "--trials", "2", "--json", str(out)], tmp_path)
    _, errors = worker.communicate(timeout=600)
    assert worker.returncode == 0, errors
    outcome = json.loads(out.read_text())
    assert outcome["storage"] == "sqlite:///var/optuna.db"
    assert (tmp_path / "var" / "optuna.db").is_file()
    assert outcome["study"] == "bigalpha"
    assert all(isinstance(row["params"]["positions.hold.base_minutes"], int) for row in outcome["trials"])


def test_a_study_in_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """Any database Optuna supports: the study in PostgreSQL (a database of its own: Optuna keeps its own tables),
    going on across runs, its password never printed."""
    admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text("DROP DATABASE IF EXISTS optuna_studies"))
        connection.execute(sqlalchemy.text("CREATE DATABASE optuna_studies"))
    admin.dispose()
    url = sqlalchemy.make_url(postgres_url).set(database="optuna_studies").render_as_string(hide_password=False)
    runner = CliRunner()
    env = {"BIGALPHA_CONFIG": "", "COLUMNS": "200"}
    for trials, total in (("2", 2), ("1", 3)):
        out = tmp_path / f"pg{trials}.json"
        args = ["optimize", *SIM, "--space", "gate.taker_min_ratio=0.9:1.4", "--trials", trials, "--min-trades", "0"]
        result = runner.invoke(app, [*args, "--storage", url, "--study", "pg", "--json", str(out)], env=env,
                               catch_exceptions=False)  # fmt: skip
        assert result.exit_code == 0, result.output
        outcome = json.loads(out.read_text())
        assert outcome["trials_total"] == total
        password = sqlalchemy.make_url(url).password
        assert not password or str(password) not in out.read_text()


def _cli(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env={"BIGALPHA_CONFIG": "", "COLUMNS": "200"}, catch_exceptions=False)
    return result.exit_code, result.output


def test_the_best_is_checked_on_a_market_the_study_never_saw(tmp_path: Path) -> None:
    """`--validate-seed`: the current settings and the best, backtested on another simulated market; the current
    settings' figures there are those `bigalpha backtest` gives on that market."""
    out, plain = tmp_path / "o.json", tmp_path / "b.json"
    storage = f"sqlite:///{tmp_path}/v.db"
    code, output = _cli(["optimize", *SIM, "--space", "gate.taker_min_ratio=0.9:1.4", "--trials", "2", "--min-trades",
                         "0", "--storage", storage, "--validate-seed", "8", "--json", str(out)])  # fmt: skip
    assert code == 0, output
    validation = json.loads(out.read_text())["validation"]
    code, output = _cli(["backtest", *SIM, "--seed", "8", "--json", str(plain)])
    assert code == 0, output
    backtest = json.loads(plain.read_text())
    assert validation["current"]["net_pnl"] == backtest["net_pnl"]
    assert validation["current"]["trades"] == backtest["trades"]
    assert set(validation["best"]) == {"net_pnl", "trades", "profit_factor", "win_rate", "max_drawdown_pct", "sharpe",
                                       "sortino"}  # fmt: skip


def test_the_printed_backtest_of_the_best_repeats_its_trial_items_of_the_ladder_included(tmp_path: Path) -> None:
    """A search over ladder tiers (`positions.ladder.targets[i]`): the `bigalpha backtest` command the optimizer
    prints for its best, run as printed (shell-quoted), gives that trial's value; the best's config writes the whole
    ladder."""
    out = tmp_path / "o.json"
    code, output = _cli(["optimize", *SIM, "--space", "positions.ladder.targets[0]=0.002:0.0075", "--space",
                         "positions.ladder.targets[3]=0.0175:0.03", "--trials", "3", "--min-trades", "0",
                         "--sampler-seed", "2", "--storage", f"sqlite:///{tmp_path}/l.db", "--json", str(out),
                         "--report", str(tmp_path / "study.html")])  # fmt: skip
    assert code == 0, output
    outcome = json.loads(out.read_text())
    page = (tmp_path / "study.html").read_text()
    assert "<h2>Searched settings</h2>" in page
    assert "<td>positions.ladder.targets[3]</td><td>0.0175</td><td>0.0300</td>" in page
    assert outcome["importances"] is None  # 3 trials: too few to tell the settings' shares
    best = outcome["best"]
    tiers = [best["params"]["positions.ladder.targets[0]"], 0.01, 0.015, best["params"]["positions.ladder.targets[3]"]]
    assert f"targets = {tiers!r}" in outcome["best_config"]
    printed = " ".join(output.split()).split("to backtest it: bigalpha backtest … ")[1].split(" in the config")[0]
    assert "'positions.ladder.targets[0]=" in printed  # quoted: the shell reads brackets as a pattern
    plain = tmp_path / "b.json"
    code, output = _cli(["backtest", *SIM, *shlex.split(printed), "--json", str(plain)])
    assert code == 0, output
    backtest = json.loads(plain.read_text())
    assert backtest["net_pnl"] == best["value"]
    assert backtest["params"]["positions.ladder.targets[3]"] == tiers[3]


def test_on_history_the_best_is_checked_on_a_later_window(tmp_path: Path) -> None:
    """`--data` with `--end`: the study searches the first day; `--validate-start` backtests the best on the second."""
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 2)
    folder = tmp_path / "archives"
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 2880})
    out = tmp_path / "o.json"
    code, output = _cli(["optimize", "--data", str(folder), "--end", "2025-01-02", "--validate-start", "2025-01-02",
                         "--param", "indicators.ofi_taker_weight=1.0", "--space", "gate.taker_min_ratio=0.9:1.4",
                         "--trials", "2", "--min-trades", "0", "--storage", f"sqlite:///{tmp_path}/h.db",
                         "--json", str(out)])  # fmt: skip
    assert code == 0, output
    outcome = json.loads(out.read_text())
    assert outcome["validation"]["current"]["trades"] >= 0
    assert outcome["params"] == {"indicators.ofi_taker_weight": "1.0"}


RECIPE = ["--param", "indicators.ofi_taker_weight=1.0", "--param", "risk.health_factor_required=false",
          "--param", "risk.stale_checked_feeds=open_interest,long_short_ratio", "--resume-after", "4h",
          "--reset-after", "4h"]  # fmt: skip


def test_a_walk_forward_reads_each_segments_trade_files_and_never_the_whole_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--walk-forward` on a folder with aggTrades files: the span comes from the candles alone, and the trade files
    are read for each fold's segments (with the warm-up's bars before them), never for the three days at once."""
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 3)
    folder = tmp_path / "archives"
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 3 * 1440})
    write_sim_metrics(dataset, folder, ("ETH",))
    write_sim_agg_trades(dataset, folder, ("ETH",))
    read_for: list[tuple[datetime | None, datetime | None]] = []
    real = history_trades.read_bar_trades

    def recording(files: Any, candles: Any, *args: Any, **kwargs: Any) -> Any:
        read_for.extend((series.start, series.end) for series in candles.values())
        return real(files, candles, *args, **kwargs)

    monkeypatch.setattr(history_trades, "read_bar_trades", recording)
    code, output = _cli(["optimize", "--data", str(folder), *RECIPE, "--walk-forward", "2", "--trials", "1",
                         "--min-trades", "0", "--space", "gate.taker_min_ratio=0.9:1.4", "--storage",
                         f"sqlite:///{tmp_path}/wf.db"])  # fmt: skip
    assert code == 0, output
    day, warmup = timedelta(days=1), timedelta(minutes=100)
    first = datetime(2025, 1, 1, tzinfo=UTC)
    last_bar = timedelta(minutes=1)
    # fold 1 searches day 1 and tests day 2; fold 2 searches day 2 (read once) and tests day 3
    assert read_for == [
        (first, first + day - last_bar),
        (first + day - warmup, first + 2 * day - last_bar),
        (first + 2 * day - warmup, first + 3 * day - last_bar),
    ]


def test_walk_forward_searches_each_segment_and_tests_its_choice_on_the_next(tmp_path: Path) -> None:
    """`--walk-forward 2` on three days of ETH klines and metrics: fold k's study searches day k and is named by it;
    on day k + 1 the current settings and the fold's best are backtested, each equal to `bigalpha backtest --start
    --end` of that day with those settings; the totals are the tested days' sums."""
    dataset = generate(SimParams(seed=7, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=default_symbols()), 3)
    folder = tmp_path / "archives"
    write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 3 * 1440})
    write_sim_metrics(dataset, folder, ("ETH",))
    out, storage = tmp_path / "o.json", f"sqlite:///{tmp_path}/wf.db"
    code, output = _cli(["optimize", "--data", str(folder), *RECIPE, "--walk-forward", "2", "--trials", "2",
                         "--min-trades", "0", "--sampler-seed", "1", "--space", "gate.taker_min_ratio=0.9:1.4",
                         "--space", "positions.ladder.targets[0]=0.002:0.0075", "--storage", storage,
                         "--json", str(out), "--report", str(tmp_path / "walk.html")])  # fmt: skip
    assert code == 0, output
    walked = output
    walk = json.loads(out.read_text())["walk_forward"]
    assert "<h2>Folds: each searched on one segment, tested on the next</h2>" in (tmp_path / "walk.html").read_text()
    days = [f"2025-01-0{d}T00:00:00+00:00" for d in (1, 2, 3, 4)]
    assert [(f["searched"], f["tested"]) for f in walk["folds"]] == [
        ({"start": days[k], "end": days[k + 1]}, {"start": days[k + 1], "end": days[k + 2]}) for k in (0, 1)
    ]
    kept = optuna.get_all_study_summaries(storage)
    assert {(s.study_name, s.n_trials) for s in kept} == {
        ("bigalpha-wf-20250101T0000-20250102T0000", 2),
        ("bigalpha-wf-20250102T0000-20250103T0000", 2),
    }
    for fold in walk["folds"]:
        assert fold["study"] in {s.study_name for s in kept}
        tested = ["--start", fold["tested"]["start"], "--end", fold["tested"]["end"]]
        chosen = [f"--param={key}={value!r}" for key, value in fold["best"]["params"].items()]
        for figures, extra in ((fold["tested_current"], []), (fold["tested_chosen"], chosen)):
            plain = tmp_path / "b.json"
            code, output = _cli(["backtest", "--data", str(folder), *RECIPE, *tested, *extra, "--json", str(plain)])
            assert code == 0, output
            backtest = json.loads(plain.read_text())
            assert (figures["net_pnl"], figures["trades"]) == (backtest["net_pnl"], backtest["trades"])
    assert sum(f["tested_current"]["trades"] for f in walk["folds"]) > 0  # the days tested had trades to judge
    total = walk["total"]
    assert total["chosen"]["net_pnl"] == sum(f["tested_chosen"]["net_pnl"] for f in walk["folds"])
    assert total["current"]["trades"] == sum(f["tested_current"]["trades"] for f in walk["folds"])
    shown = " ".join(walked.split())
    assert f"out of sample, all folds: chosen net_pnl={total['chosen']['net_pnl']:.6g}" in shown
    assert f"search the latest segment: bigalpha optimize --data … --start {days[2]}" in shown
    # anchored: fold 2 searches both days before it, in a study of its own; its tested day is the same
    anchored = tmp_path / "a.json"
    code, output = _cli(["optimize", "--data", str(folder), *RECIPE, "--walk-forward", "2", "--anchored", "--trials",
                         "1", "--min-trades", "0", "--space", "gate.taker_min_ratio=0.9:1.4", "--storage", storage,
                         "--json", str(anchored)])  # fmt: skip
    assert code == 0, output
    walk_anchored = json.loads(anchored.read_text())["walk_forward"]
    assert walk_anchored["anchored"] is True
    second = walk_anchored["folds"][1]
    assert (second["searched"], second["tested"]) == ({"start": days[0], "end": days[2]}, walk["folds"][1]["tested"])
    assert second["study"] == "bigalpha-wf-20250101T0000-20250103T0000"
    assert second["tested_current"] == walk["folds"][1]["tested_current"]
    assert len(optuna.get_all_study_summaries(storage)) == 3  # fold 1's search is the rolling one's: added to it
    code, output = _cli(["optimize", "--data", str(folder), *RECIPE, "--walk-forward", "5000", "--trials", "1",
                         "--storage", storage])  # fmt: skip
    assert code == 2
    assert "--walk-forward 5000: 4320 bars of 0:01:00 cannot make 5001 segments" in " ".join(output.split())
    assert len(optuna.get_all_study_summaries(storage)) == 3  # refused before any study was made


def test_a_market_the_bot_cannot_run_on_is_refused_before_any_trial(tmp_path: Path) -> None:
    """Candles without taker buy volume: refused at once, and the study is never made (a failed trial would stay in
    it)."""
    rows = "".join(f"2025-01-01T{h:02d}:{m:02d}:00Z,ETHUSDT,100,101,99,100.5,3\n" for h in range(2) for m in range(60))
    candles = tmp_path / "ETH-1m-binance.csv"
    candles.write_text("timestamp,symbol,open,high,low,close,volume\n" + rows)
    storage = f"sqlite:///{tmp_path}/never.db"
    code, output = _cli(["optimize", "--data", str(candles), "--trials", "1", "--storage", storage])
    assert code == 2
    assert "the bot needs taker buy volume (A-CVD-1, A-OFI-1) and ETH has none" in " ".join(output.split())
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sim", "--strategy", "sma_cross"], "the optimizer searches the bot's thresholds; sma_cross has none"),
        ([], "exactly one market"),
        (["--sim", "--trials", "0"], "--trials: run at least 1, got 0"),
        (["--sim", "--min-trades", "-1"], "--min-trades: must be 0 or more"),
        (["--sim", "--objective", "alpha"], "--objective 'alpha': choose one of net_pnl, sharpe, sortino"),
        (["--sim", "--space", "gate.taker_min_ratio"], "write KEY=LOW:HIGH"),
        (["--sim", "--space", "gate.taker_min_ratio=1:x"], "write KEY=LOW:HIGH"),
        (["--sim", "--space", "gate.nope=1:2"], "--space: gate.nope: unknown setting"),
        (["--sim", "--space", "gate.taker_min_ratio=2:1"], "the range 2..1 is empty"),
        (["--sim", "--space", "positions.ladder.targets=0:1"], "name one item, e.g. positions.ladder.targets[0]"),
        (["--sim", "--param", "positions.ladder.targets[7]=0.1"], "positions.ladder.targets has 4 items, [0] to [3]"),
        (["--sim", "--param", "gate.taker_min_ratio=lots"], "--param: gate.taker_min_ratio"),
        (["--sim", "--storage", "nowhere://x"], "--storage nowhere://x"),
        (["--sim", "--storage", "sqlite:///var/bigalpha.db"], "is the bot's own store: keep the studies in another"),
        (["--sim", "--validate-start", "2025-01-01"], "--validate-start/--validate-end: hold out part of --data"),
        (["--sim", "--jobs", "0"], "--jobs: must be at least 1, got 0"),
        (["--data", ".", "--validate-seed", "3"], "--validate-seed: holds out another simulated market"),
        (["--sim", "--walk-forward", "2"], "--walk-forward: cuts a history's span (--data)"),
        (["--data", ".", "--walk-forward", "2", "--validate-start", "2025-01-02"], "leave out --validate-start"),
        (["--data", ".", "--walk-forward", "0"], "--walk-forward: give at least 1 fold (2 segments), got 0"),
        (["--sim", "--anchored"], "--anchored: chooses how a walk-forward's folds search; give --walk-forward K"),
    ],
)
def test_bad_input_fails_with_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    args = [*args, "--symbols", "ETH", "--days", "1", "--trials", "1"] if "--trials" not in args else args
    result = CliRunner().invoke(app, ["optimize", *args], env={"BIGALPHA_CONFIG": "", "COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output
