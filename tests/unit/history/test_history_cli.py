"""`bigalpha data inspect`: exit 0 on readable files (even with warnings), non-zero with a clear message otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from history_samples import ohlcv, write_freqtrade_feather, write_klines
from typer.testing import CliRunner

from bigalpha.cli.app import app

runner = CliRunner()


def test_inspect_file_as_json(tmp_path: Path) -> None:
    df = ohlcv(30).drop(index=[10, 11]).reset_index(drop=True)
    path = write_klines(tmp_path / "BTCUSDT-1h-2023-01.csv", df)
    result = runner.invoke(app, ["data", "inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "binance-klines-csv"
    assert (data["symbol"], data["timeframe"], data["rows"]) == ("BTC", "1h", 28)
    assert data["first"] == "2023-01-01T00:00:00+00:00"
    assert data["quality"]["gaps"]["count"] == 1
    assert data["quality"]["gaps"]["largest"]["missing"] == 2
    assert data["duplicates_dropped"] == 0


def test_inspect_file_as_text_shows_repairs_and_problems(tmp_path: Path) -> None:
    df = ohlcv(10)
    messy = df.iloc[[0, 1, 2, 2, 4, 3, 5, 6, 7, 8, 9]].reset_index(drop=True)
    path = write_freqtrade_feather(tmp_path / "ETH_USDT_USDT-1h-futures.feather", messy)
    result = runner.invoke(app, ["data", "inspect", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in (
        "freqtrade-feather",
        "ETH",
        "1h",
        "SORTED",
        "EXACT_DUPLICATES_DROPPED",
        "1 exact duplicate(s) dropped",
    ):
        assert text in result.stdout


def test_inspect_folder_reports_every_file_and_fails_on_a_bad_one(tmp_path: Path) -> None:
    write_freqtrade_feather(tmp_path / "BTC_USDT_USDT-1h-futures.feather", ohlcv(5))
    bad = tmp_path / "ETH_USDT_USDT-1h-futures.json"
    bad.write_text("[[1672531200000, 1, 2, 0.5, 1.5, 10], [1672534800000")
    result = runner.invoke(app, ["data", "inspect", str(tmp_path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [f["source"] for f in data["files"]] == ["BTC_USDT_USDT-1h-futures.feather"]
    assert "ETH_USDT_USDT-1h-futures.json" in data["failures"][0]["error"]
    assert "row 2" in result.stderr


def test_inspect_unreadable_file_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-1h-2023-01.csv"
    path.write_text("1672531200000,1,2,0.5,1.5,10,1672534799999,15,3,5,7,0\n1672534800000,1,2,0.5\n")
    result = runner.invoke(app, ["data", "inspect", str(path)])
    assert result.exit_code == 1
    assert "row 2: expected 12 fields, found 4" in result.stderr
    assert "Traceback" not in result.output


def test_inspect_rejects_a_bad_timeframe_option(tmp_path: Path) -> None:
    path = write_freqtrade_feather(tmp_path / "BTC_USDT_USDT-1h-futures.feather", ohlcv(5))
    result = runner.invoke(app, ["data", "inspect", str(path), "--timeframe", "1 hour"])
    assert result.exit_code == 2
    assert "timeframe '1 hour'" in result.stderr


def test_group_help_lists_inspect() -> None:
    result = runner.invoke(app, ["data", "--help"])
    assert result.exit_code == 0
    assert "inspect" in result.stdout


def test_inspect_folder_joined_shows_one_series_per_symbol_with_the_gaps_between_files(tmp_path: Path) -> None:
    frame = ohlcv(72)
    write_klines(tmp_path / "BTCUSDT-1h-2023-01-01.csv", frame.iloc[:24])
    write_klines(tmp_path / "BTCUSDT-1h-2023-01-03.csv", frame.iloc[48:])  # the 2nd day is missing
    result = runner.invoke(app, ["data", "inspect", str(tmp_path), "--joined", "--json"])
    assert result.exit_code == 0, result.output
    [series] = json.loads(result.stdout)["files"]
    assert series["source"] == "BTCUSDT-1h-2023-01-01.csv … BTCUSDT-1h-2023-01-03.csv (2 files)"
    assert series["rows"] == 48
    assert (series["quality"]["gaps"]["count"], series["quality"]["gaps"]["missing_bars"]) == (1, 24)
    write_klines(tmp_path / "BTCUSDT-1h-2023-01-02.csv", ohlcv(72, seed=9).iloc[23:48])  # disagrees at 23:00
    result = runner.invoke(app, ["data", "inspect", str(tmp_path), "--joined"])
    assert result.exit_code == 1
    assert "both hold 2023-01-01T23:00:00+00:00" in result.stderr
    single = runner.invoke(app, ["data", "inspect", str(tmp_path / "BTCUSDT-1h-2023-01-01.csv"), "--joined"])
    assert single.exit_code == 2
    assert "--joined applies to a folder" in single.stderr
