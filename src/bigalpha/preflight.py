"""Pre-flight checks behind `bigalpha validate` (I-CLI-1): each component says whether it can run.

Each component contributes checks through a function `preflight(settings) -> list[CheckResult]` in its
own module, listed in `CHECK_MODULES`; a check that raises is reported as failed, never as a crash.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from bigalpha.config import Settings
from bigalpha.store import Store, StoreError, database_url, safe_url
from bigalpha.store.database import head_revision, schema_revision


@dataclass(frozen=True, slots=True)
class CheckResult:
    component: str
    check: str
    ok: bool
    detail: str


PreflightFn = Callable[[Settings], list[CheckResult]]

# Later components add their module here (risk gate, strategies, market data, kill switch …).
CHECK_MODULES: tuple[str, ...] = ("bigalpha.preflight", "bigalpha.risk.preflight")


def preflight(settings: Settings) -> list[CheckResult]:
    """The foundation's own checks: configuration, data directory, storage."""
    results = [
        CheckResult(
            "config",
            "valid",
            True,
            f"{len(settings.data.symbols)} symbols, {len(type(settings).model_fields)} sections, "
            f"secrets set: {', '.join(settings.secrets.names_set()) or 'none'}",
        )
    ]
    results.append(_data_dir_writable(settings))
    results.append(_storage(settings))
    return results


def _data_dir_writable(settings: Settings) -> CheckResult:
    folder = settings.store.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-") as probe:
            probe.write(b"ok")
    except OSError as error:
        return CheckResult("store", "data directory writable", False, f"{folder}: {error.strerror or error}")
    return CheckResult("store", "data directory writable", True, str(folder.resolve()))


def _storage(settings: Settings) -> CheckResult:
    url = database_url(settings)
    try:
        store = Store.open(settings)
    except (StoreError, OSError) as error:
        return CheckResult("store", "database opens and migrates", False, f"{safe_url(url)}: {error}")
    try:
        revision = schema_revision(store.engine)
    finally:
        store.close()
    head = head_revision()
    return CheckResult(
        "store",
        "database opens and migrates",
        revision == head,
        f"{safe_url(url)} at schema revision {revision} (newest {head})",
    )


def run_all(settings: Settings) -> list[CheckResult]:
    """Every registered check; a check that raises becomes a failed result naming the error."""
    results: list[CheckResult] = []
    for module_name in CHECK_MODULES:
        try:
            check: PreflightFn = importlib.import_module(module_name).preflight
            results.extend(check(settings))
        except Exception as error:  # a broken component must show up in the table, not end the run
            results.append(CheckResult(module_name, "runs", False, f"{type(error).__name__}: {error}"))
    return results
