"""L-OPT-2: a general optimizer that searches the gate and exit thresholds over backtests, with Optuna.

Each trial is one backtest of the bot with the values Optuna's sampler (TPE) proposes for the settings of the search
space, every other setting as given; its value is the chosen objective of that backtest, to be maximised. A trial
whose backtest closes fewer than `min_trades` trades, or whose objective is undefined (a Sharpe ratio without
returns), is worth −∞: an optimizer free to pick any threshold would otherwise find that blocking every signal loses
nothing. Values that break a rule between settings (a hold that outlasts a longer one) are never run: such a trial
is pruned, with the reason kept.

A study is kept in a database under its name (SQLite by default; any database Optuna supports, PostgreSQL among
them), so workers on many machines running the optimizer with the same study and storage add trials to one study,
each proposal informed by every trial stored so far. Each trial keeps, as user attributes, its backtest's figures.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bigalpha.backtest.metrics import Metrics
from bigalpha.backtest.parallel import can_fork, map_forked
from bigalpha.backtest.results import BacktestResult
from bigalpha.config import Settings
from bigalpha.config.overrides import OverrideError, item_key, setting_value, with_overrides
from bigalpha.store.database import safe_url

OBJECTIVES: dict[str, Callable[[Metrics], float | None]] = {
    "net_pnl": lambda m: m.net_pnl,
    "sharpe": lambda m: m.sharpe,
    "sortino": lambda m: m.sortino,
    "profit_factor": lambda m: m.profit_factor,
}
FIGURES = ("trades", "net_pnl", "profit_factor", "win_rate", "max_drawdown_pct", "sharpe", "sortino")


class StorageError(ValueError):
    """The study's database cannot be opened (an unknown URL, a driver missing, a server not answering)."""


class SpaceError(ValueError):
    """A search space the settings cannot take; the message names the key and why."""


@dataclass(frozen=True, slots=True)
class Bound:
    """One searched setting: values from `low` to `high` (whole numbers for a setting held as one)."""

    key: str
    low: float
    high: float
    integer: bool

    def suggest(self, trial: optuna.Trial) -> float:
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high))
        return trial.suggest_float(self.key, self.low, self.high)


def search_space(settings: Settings, bounds: Mapping[str, Sequence[float]]) -> tuple[Bound, ...]:
    """The bounds as a search space over `settings`: each key names a numeric setting, each range is two numbers,
    low below high (whole numbers for a whole-number setting), and the settings take either end."""
    if not bounds:
        raise SpaceError("the search space is empty: name at least one setting and its range")
    space = []
    for key, pair in bounds.items():
        try:
            current = setting_value(settings, key)
        except OverrideError as error:
            raise SpaceError(f"{key}: {error}") from None
        if isinstance(current, bool) or not isinstance(current, int | float):
            hint = f": name one item, e.g. {key}[0]" if isinstance(current, list) else ""
            raise SpaceError(f"{key}: a search space holds numeric settings; {key} is {current!r}{hint}")
        if len(pair) != 2:
            raise SpaceError(f"{key}: give a range as two numbers, low and high; got {list(pair)}")
        low, high = float(pair[0]), float(pair[1])
        integer = isinstance(current, int)
        if integer and (not low.is_integer() or not high.is_integer()):
            raise SpaceError(f"{key} is a whole number: its range {low:g}..{high:g} must be too")
        if not low < high:
            raise SpaceError(f"{key}: the range {low:g}..{high:g} is empty; the low end comes first")
        for end in (low, high):
            try:
                with_overrides(settings, {key: int(end) if integer else end})
            except OverrideError as error:
                raise SpaceError(f"{key}={end:g} (an end of its range): {error}") from None
        space.append(Bound(key, low, high, integer))
    return tuple(space)


@dataclass(frozen=True, slots=True)
class TrialRow:
    """One trial of the study: its number, state, value, the values it tried and its backtest's figures."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]  # the values tried: whole numbers for whole-number settings
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        value = None if self.value is None or not math.isfinite(self.value) else self.value
        return {"number": self.number, "state": self.state, "value": value, "params": self.params, **self.figures}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `optimize` did: the trials it ran, and the study's best trial and every trial so far (all workers')."""

    study: str
    objective: str
    ran: int
    best: TrialRow | None  # None while no trial has a finite value
    trials: tuple[TrialRow, ...]
    # How much each searched setting moved the objective (`importances`); None: too few trials with a value.
    importances: dict[str, float] | None = None


RunFn = Callable[[Settings], BacktestResult]


def optimize(
    settings: Settings,
    run: RunFn,
    space: Sequence[Bound],
    *,
    objective: str,
    trials: int,
    study: str,
    storage: str,
    min_trades: int,
    seed: int | None = None,
    done: Callable[[int, int], None] | None = None,
    jobs: int = 1,
) -> Outcome:
    """Run `trials` more trials of the study `study` in `storage` (made when it does not exist), each a backtest
    `run` of `settings` with the space's proposed values, up to `jobs` at once in processes forked from this one
    (each trial proposed from every trial stored when it starts); `done(finished, trials)` after each."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r}: choose one of {', '.join(OBJECTIVES)}")
    if trials < 1:
        raise ValueError(f"trials: run at least 1, got {trials}")
    if jobs < 1:
        raise ValueError(f"jobs: run at least 1 at once, got {jobs}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    judge = _Judge(settings, run, space, objective, min_trades)
    database = _open_storage(storage)
    try:
        # Made here, before any worker starts: workers only ever load the study and its tables.
        chosen = _study(database, study, storage, seed)
        if jobs == 1 or trials == 1 or not can_fork():
            finished = judge.trials(chosen, trials, done)
        else:
            # No connection may cross a fork: each worker opens the database itself, for one trial at a time.
            database.remove_session()
            database.engine.dispose()

            def one_trial(number: int) -> int:
                own = _open_storage(storage)
                try:
                    # Each trial its own seed: forked samplers seeded alike would propose the same values.
                    return judge.trials(_study(own, study, storage, None if seed is None else seed + number), 1, None)
                finally:
                    own.remove_session()
                    own.engine.dispose()

            finished = sum(map_forked(one_trial, range(trials), jobs=jobs, done=done))
        kept = chosen.get_trials(deepcopy=False)
    finally:
        database.remove_session()
        database.engine.dispose()
    rows = tuple(_row(t) for t in kept)
    valued = [row for row in rows if row.value is not None and math.isfinite(row.value)]
    best = max(valued, key=lambda row: (row.value, -row.number)) if valued else None
    return Outcome(study, objective, finished, best, rows, importances(kept))


def importances(trials: Sequence[optuna.trial.FrozenTrial]) -> dict[str, float] | None:
    """How much each searched setting moved the value, as shares summing to 1, largest first: Optuna's PED-ANOVA
    over the finished trials with a finite value (how differently a setting's values are spread among the best
    tenth of those trials than among all of them). None with fewer than `MIN_TRIALS_FOR_IMPORTANCE` such trials,
    or when their values are all equal (nothing to tell apart)."""
    finite = [
        t
        for t in trials
        if t.state is optuna.trial.TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    if len(finite) < MIN_TRIALS_FOR_IMPORTANCE or len({t.value for t in finite}) < 2:
        return None
    scratch = optuna.create_study(direction="maximize")  # in memory: the study's own trials stay as they are
    scratch.add_trials(finite)
    found = optuna.importance.get_param_importances(scratch, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
    return {name: float(share) for name, share in found.items()}


# PED-ANOVA compares the best tenth of the trials with all of them: below this, that tenth is one trial or none.
MIN_TRIALS_FOR_IMPORTANCE = 10


def config_snippet(settings: Settings, params: Mapping[str, Any]) -> str:
    """The settings `params` names (dotted keys) as TOML tables, to paste into the config file: `gate.liq_wall_pct`
    under `[gate]`, `positions.hold.base_minutes` under `[positions.hold]`, each table once, in the order met. An
    item of a list (`positions.ladder.targets[0]`) is written as the whole list, its other items as in `settings`."""
    chosen = with_overrides(settings, params)
    tables: dict[str, dict[str, str]] = {}
    for key in params:
        item = item_key(key)
        whole = key if item is None else item[0]
        table, _, name = whole.rpartition(".")
        tables.setdefault(table, {})[name] = _toml(setting_value(chosen, whole))
    return (
        "\n\n".join(
            f"[{table}]\n" + "\n".join(f"{name} = {text}" for name, text in lines.items())
            for table, lines in tables.items()
        )
        + "\n"
    )


def _toml(value: Any) -> str:
    """A searched setting's value as TOML: a float exactly (its repr), a whole number, or a list of those."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return repr(value) if isinstance(value, float) else str(int(value))


def _study(database: optuna.storages.RDBStorage, name: str, storage: str, seed: int | None) -> optuna.Study:
    try:
        with warnings.catch_warnings():
            # Optuna flags parts of its API as experimental; nothing here depends on them.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.create_study(
                study_name=name,
                storage=database,
                direction="maximize",
                load_if_exists=True,
                sampler=optuna.samplers.TPESampler(seed=seed),
            )
    except SQLAlchemyError as error:
        raise StorageError(f"{safe_url(storage)}: {error}") from None


@dataclass(frozen=True, slots=True)
class _Judge:
    """How a trial is run and valued."""

    settings: Settings
    run: RunFn
    space: Sequence[Bound]
    objective: str
    min_trades: int

    def value(self, trial: optuna.Trial) -> float:
        values = {bound.key: bound.suggest(trial) for bound in self.space}
        try:
            trial_settings = with_overrides(self.settings, values)
        except OverrideError as error:
            trial.set_user_attr("refused", str(error))
            raise optuna.TrialPruned(str(error)) from None
        metrics = self.run(trial_settings).metrics
        for name, figure in _figures(metrics).items():
            trial.set_user_attr(name, figure)
        value = OBJECTIVES[self.objective](metrics)
        if metrics.trades < self.min_trades:
            trial.set_user_attr("worthless", f"{metrics.trades} trades closed, fewer than {self.min_trades}")
            return -math.inf
        if value is None or not math.isfinite(value):
            trial.set_user_attr("worthless", f"{self.objective} is undefined")
            return -math.inf
        return float(value)

    def trials(self, chosen: optuna.Study, trials: int, done: Callable[[int, int], None] | None) -> int:
        """Run `trials` trials of `chosen` here, one after the other; how many finished."""
        finished = 0

        def counted(_study: optuna.Study, _trial: optuna.trial.FrozenTrial) -> None:
            nonlocal finished
            finished += 1
            if done is not None:
                done(finished, trials)

        chosen.optimize(self.value, n_trials=trials, callbacks=[counted], catch=())
        return finished


def _open_storage(storage: str) -> optuna.storages.RDBStorage:
    """The study database, made here to be closed by the caller (a storage left to the garbage collector leaves its
    connections open). Workers starting at once on a new database race to create Optuna's tables: the one that
    loses meets a table or a row the other made (a database error), and once the other is done the tables are there,
    so it opens them again, a moment later; a database that still refuses after that is reported."""
    attempts = 0
    while True:
        try:
            return optuna.storages.RDBStorage(storage)
        except DBAPIError as error:
            attempts += 1
            if attempts == _OPEN_ATTEMPTS:
                raise StorageError(f"{safe_url(storage)}: {error}") from None
            time.sleep(_OPEN_PAUSE_S * attempts)
        except (SQLAlchemyError, ImportError, ValueError) as error:
            raise StorageError(f"{safe_url(storage)}: {error}") from None


_OPEN_ATTEMPTS = 4
_OPEN_PAUSE_S = 0.25  # a worker creating the tables takes a fraction of a second


def _figures(metrics: Metrics) -> dict[str, object]:
    """A backtest's figures a trial keeps (`FIGURES`), an infinite or NaN one as None (JSON has neither)."""
    every = metrics.to_dict()
    return {name: _finite_or_none(every[name]) for name in FIGURES}


def _finite_or_none(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _row(trial: optuna.trial.FrozenTrial) -> TrialRow:
    figures = {name: trial.user_attrs.get(name) for name in FIGURES}
    for note in ("worthless", "refused"):
        if note in trial.user_attrs:
            figures[note] = trial.user_attrs[note]
    params = dict(trial.params)
    return TrialRow(trial.number, trial.state.name, trial.value, params, figures)


def held_out(settings: Settings, best: TrialRow, run: RunFn, objective: str) -> dict[str, dict[str, Any]]:
    """The current settings and the study's best, each backtested by `run` on a market the study never saw: how much
    of the best trial's edge is the thresholds', and how much the searched market's."""
    return {
        "current": measured(settings, run, objective),
        "best": measured(with_overrides(settings, best.params), run, objective),
    }


def measured(settings: Settings, run: RunFn, objective: str) -> dict[str, Any]:
    """The objective and the figures of `settings`' backtest by `run` (an infinite or NaN one as None)."""
    metrics = run(settings).metrics
    return {objective: _finite_or_none(OBJECTIVES[objective](metrics)), **_figures(metrics)}
