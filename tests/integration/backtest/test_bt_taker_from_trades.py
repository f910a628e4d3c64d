"""Candles without taker buy volume (freqtrade's, a plain OHLCV file) get it from the symbol's aggTrades files beside
them, as live `fill_taker_from_trades` fills a bar: the quantity of its taker buys, at most its volume. The bot then
trades as on Binance klines carrying that volume; a bar that traded without its trades in the files leaves the
symbol without taker volume, and the bot says which bars."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bigalpha.backtest.market import MarketError, load_market, sim_market
from bigalpha.backtest.runner import run_whole_bot
from bigalpha.backtest.supervision import Supervision
from bigalpha.cli.app import app
from bigalpha.config import Settings
from bigalpha.data.sim import SimDataset, SimParams, generate
from bigalpha.data.sim.params import default_symbols
from bigalpha.data.sim.snapshots import symbol_rows
from bigalpha.domain import Symbol
from sim_klines import write_sim_agg_trades, write_sim_klines, write_sim_metrics
from stored_runs import assert_same_run

SETTINGS = {
    "indicators": {"ofi_taker_weight": 1.0},
    "risk": {"health_factor_required": False, "stale_checked_feeds": ["open_interest", "long_short_ratio"]},
}
SUPERVISION = Supervision(resume_after=timedelta(hours=1), reset_after=timedelta(hours=2))
KLINES = "ETHUSDT-1m-2025-01-01.csv"


def _volumes(dataset: SimDataset, open_ms: list[int]) -> tuple[list[float], list[float]]:
    """Each bar's traded quantity and taker buy quantity from the simulator's trades, summed one trade after the
    other: a kline's volume and what the aggTrades files should give as its taker buy volume."""
    trades = symbol_rows(dataset.frames["trades"], dataset.symbols.index("ETH"))
    total, buys = dict.fromkeys(open_ms, 0.0), dict.fromkeys(open_ms, 0.0)
    columns = (trades["ts"].tolist(), trades["quantity"].tolist(), trades["side"].tolist())
    for ts, quantity, buy in zip(*columns, strict=True):
        bar = ts - ts % 60_000
        if bar in total:
            total[bar] += quantity
            if buy:
                buys[bar] += quantity
    return [total[ms] for ms in open_ms], [min(buys[ms], total[ms]) for ms in open_ms]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, SimDataset]:
    """`plain`: ETH as a plain OHLCV file (no taker column) with its aggTrades a file a day, and its metrics;
    `klines`: the same with Binance klines whose volume and taker buy volume are the trades' (computed here,
    plainly)."""
    root = tmp_path_factory.mktemp("taker")
    symbols = tuple(s for s in default_symbols() if s.symbol == "ETH")
    dataset = generate(SimParams(seed=3, start=datetime(2025, 1, 1, tzinfo=UTC), symbols=symbols), 2)
    plain, klines = root / "plain", root / "klines"
    for folder in (plain, klines):
        write_sim_klines(sim_market(dataset, "sim", 5), folder, {"ETH": 2880})
        write_sim_metrics(dataset, folder, ("ETH",))
        write_sim_agg_trades(dataset, folder, ("ETH",))
    # Each bar's volume is its trades' (the simulator's trades are a sample of its volume; Binance's are all of it).
    rows = [line.split(",") for line in (klines / KLINES).read_text().splitlines()]
    volume, taker = _volumes(dataset, [int(r[0]) for r in rows])
    rows = [[*r[:5], repr(v), r[6], repr(v * float(r[4])), r[8], repr(t), repr(t * float(r[4])), r[11]]
            for r, v, t in zip(rows, volume, taker, strict=True)]  # fmt: skip
    (klines / KLINES).write_text("".join(",".join(r) + "\n" for r in rows))
    (plain / KLINES).unlink()
    (plain / "ETH-1m-binance.csv").write_text(
        "timestamp,symbol,open,high,low,close,volume\n"
        + "".join(
            f"{datetime.fromtimestamp(int(r[0]) / 1000, UTC).isoformat()},ETHUSDT,{','.join(r[1:6])}\n" for r in rows
        )
    )
    return plain, klines, dataset


def test_the_bot_on_candles_without_taker_volume_trades_as_on_klines_with_the_trades_taker_volume(
    folders: tuple[Path, Path, SimDataset], tmp_path: Path
) -> None:
    plain, klines, _ = folders
    derived, given = load_market(plain, 5), load_market(klines, 5)
    eth = Symbol("ETH")
    assert derived.lanes[eth].has_taker_volume
    np.testing.assert_array_equal(
        derived.lanes[eth].arrays(1e5).flow.taker_buy, given.lanes[eth].arrays(1e5).flow.taker_buy
    )
    settings = Settings.model_validate(SETTINGS)
    run = run_whole_bot(settings, derived, tmp_path / "plain.db", supervision=SUPERVISION)
    same = run_whole_bot(settings, given, tmp_path / "klines.db", supervision=SUPERVISION)
    assert run.metrics.trades > 0
    assert_same_run(settings, run, same, tmp_path, stores=("plain.db", "klines.db"))


def test_a_day_without_its_trades_leaves_the_symbol_without_taker_volume_and_the_bot_says_where(
    folders: tuple[Path, Path, SimDataset], tmp_path: Path
) -> None:
    plain, _, dataset = folders
    partial = tmp_path / "partial"
    partial.mkdir()
    for path in plain.iterdir():
        if path.name != "ETHUSDT-aggTrades-2025-01-02.csv":
            (partial / path.name).write_bytes(path.read_bytes())
    market = load_market(partial, 5)
    lane = market.lanes[Symbol("ETH")]
    assert not lane.has_taker_volume
    assert lane.taker_gap.startswith("1,44")  # the second day's bars that traded
    assert (
        "of its 2,880 bars traded with no trade in its aggTrades files, the first opening 2025-01-02T00:00:00+00:00"
        in (lane.taker_gap)
    )
    with pytest.raises(MarketError, match=r"the bot needs taker buy volume .* and ETH \(1,44\d of its 2,880 bars"):
        run_whole_bot(Settings.model_validate(SETTINGS), market, tmp_path / "x.db")
    runner = CliRunner()
    env = {"BIGALPHA_CONFIG": "", "COLUMNS": "200"}
    args = ["backtest", "--data", str(partial)]
    refused = runner.invoke(app, args, env=env, catch_exceptions=False)
    assert refused.exit_code == 2
    assert "--start/--end can keep to the days they cover" in refused.output.replace("\n", " ")
    out = tmp_path / "day.json"
    kept = runner.invoke(app, [*args, "--end", "2025-01-02", "--json", str(out)], env=env, catch_exceptions=False)
    assert kept.exit_code == 0, kept.output
    assert json.loads(out.read_text())["bars"] == 1440
    sma = runner.invoke(app, [*args, "--strategy", "sma_cross", "--json", str(out)], env=env, catch_exceptions=False)
    assert sma.exit_code == 0, sma.output  # the reference strategy needs no taker volume
    assert dataset.symbols == ("ETH",)
