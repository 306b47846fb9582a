"""One endpoint's probes: the record and page-size sweeps one request at a time, then the concurrency sweep.

Order: the sequential sweeps first (each request alone, so its time is its own and the database's
deltas around it are its statements), then concurrency (which needs a typical record: the one with
the median time of the record sweep). Every result is kept in `EndpointRun` as it comes, so a
Ctrl-C or a spent budget keeps what was measured.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ops_perf.diagnose.client import Answer, BudgetSpent, Client, rows_of
from ops_perf.diagnose.database import TOP_STATEMENTS, Statements, difference
from ops_perf.diagnose.plan import CONFIRM, ROUNDS, SEQUENTIAL, STOP_AFTER, EndpointPlan


class ProbeStopped(RuntimeError):
    """Too many consecutive 5xx or time-outs: this endpoint's probes stop (the others go on)."""


@dataclass
class EndpointRun:
    """One endpoint's measurements so far, in diagnose.json's shape (`runfiles.diagnosis_json`)."""

    name: str
    kind: str
    requests: int = 0
    stopped: str | None = None
    concurrency: list[dict[str, Any]] = field(default_factory=list)
    page_size: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    database: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "requests": self.requests,
            "stopped": self.stopped,
            "concurrency": self.concurrency,
            "page_size": self.page_size,
            "records": self.records,
            "database": self.database,
        }


class _Guard:
    """Counts consecutive bad answers (thread-safe); the probe stops at `STOP_AFTER`."""

    def __init__(self) -> None:
        self.streak = 0
        self._lock = threading.Lock()

    def see(self, answer: Answer) -> None:
        with self._lock:
            self.streak = self.streak + 1 if answer.bad else 0
            if self.streak >= STOP_AFTER:
                raise ProbeStopped(f"{STOP_AFTER} consecutive 5xx answers or time-outs (last: {_what(answer)})")


def _what(answer: Answer) -> str:
    return answer.error or f"HTTP {answer.status}"


class Prober:
    """Runs the plans of one diagnosis against one client (and database, when given)."""

    def __init__(self, client: Client, db: Statements | None, say: Callable[[str], None]) -> None:
        self.client = client
        self.db = db
        self.say = say

    # ---- one sequential request ----------------------------------------------------------------
    def _one(self, run: EndpointRun, guard: _Guard, url: str, extra: dict[str, Any]) -> dict[str, Any]:
        before = self.db.total() if self.db is not None else None
        answer = self.client.get(url)
        after = self.db.total() if self.db is not None else None
        run.requests += 1
        rows, key = rows_of(answer.json()) if answer.ok else (None, None)
        sample: dict[str, Any] = {
            **extra,
            "ms": round(answer.ms, 3),
            "bytes": answer.size,
            "rows": rows,
            "rows_key": key,
            "status": answer.status,
            "statements": (after.calls - before.calls) if before is not None and after is not None else None,
            "db_ms": round(after.ms - before.ms, 3) if before is not None and after is not None else None,
        }
        if answer.error:
            sample["error"] = answer.error
        guard.see(answer)
        return sample

    def run(self, plan: EndpointPlan, run: EndpointRun) -> None:
        """All of one endpoint's probes, into `run` as they come; raises `BudgetSpent`, `KeyboardInterrupt`."""
        guard = _Guard()
        target = plan.target
        try:
            before = self.db.snapshot() if self.db is not None else None
            sequential_ms = 0.0
            for record in plan.records:
                sample = self._one(run, guard, target.url(record), {"id": str(record)})
                run.records.append(sample)
                sequential_ms += sample["ms"]
            if plan.confirmations:
                slowest, again = CONFIRM
                answered = sorted((r for r in run.records if 200 <= r["status"] < 300), key=lambda r: -r["ms"])
                for sample in answered[:slowest]:
                    for _ in range(again):
                        repeat = self._one(run, guard, target.url(sample["id"]), {"id": sample["id"], "repeat": True})
                        run.records.append(repeat)
                        sequential_ms += repeat["ms"]
            if run.records:
                self.say(_records_line(target.name, run.records))
            for limit in plan.limits:
                for _ in range(plan.repeats):
                    sample = self._one(run, guard, target.url(limit=limit), {"limit": limit})
                    run.page_size.append(sample)
                    sequential_ms += sample["ms"]
            if run.page_size:
                self.say(_sizes_line(target.name, run.page_size))
            if before is not None and self.db is not None:
                ran = difference(before, self.db.snapshot())
                sequential = len(run.records) + len(run.page_size)
                run.database = {
                    "requests": sequential,
                    "statements": sum(calls for _, calls, _ in ran),
                    "distinct": len(ran),
                    "db_ms": round(sum(ms for _, _, ms in ran), 3),
                    "response_ms": round(sequential_ms, 3),
                    "top": [{"query": q, "calls": c, "ms": round(ms, 3)} for q, c, ms in ran[:TOP_STATEMENTS]],
                }
            url = target.url(_typical(run.records, plan.records), None)
            for level in plan.levels:
                run.concurrency.append(self._level(run, guard, url, level))
            if run.concurrency:
                self.say(_levels_line(target.name, run.concurrency))
        except ProbeStopped as stop:
            run.stopped = str(stop)
            self.say(f"{target.name}: stopped: {stop}")

    # ---- one concurrency level -----------------------------------------------------------------
    def _level(self, run: EndpointRun, guard: _Guard, url: str, level: int) -> dict[str, Any]:
        """`level` slots, each sending one request after the other: `ROUNDS` each (`SEQUENTIAL` with one
        slot). The steady median is of the answers after each slot's first (the first wave meets an
        empty server; the second, the queue the first left), or of all of them with one slot."""
        answers: list[tuple[int, Answer]] = []
        lock = threading.Lock()
        stop = threading.Event()
        rounds = SEQUENTIAL if level == 1 else ROUNDS

        def slot() -> None:
            for wave in range(rounds):
                if stop.is_set() or self.client.stopping.is_set():
                    return
                answer = self.client.get(url)
                with lock:
                    answers.append((wave, answer))
                try:
                    guard.see(answer)
                except ProbeStopped:
                    stop.set()
                    raise

        pool = ThreadPoolExecutor(max_workers=level, thread_name_prefix="diagnose")
        began = time.perf_counter()
        futures = [pool.submit(slot) for _ in range(level)]
        try:
            wait(futures)
        except BaseException:  # Ctrl-C: the slots finish their request in flight, nothing more is sent
            self.client.stopping.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        seconds = time.perf_counter() - began
        pool.shutdown(wait=True)
        run.requests += len(answers)
        for future in futures:
            error = future.exception()
            if isinstance(error, BudgetSpent | ProbeStopped):
                raise error
        ok = [a.ms for _, a in answers if a.ok]
        steady = [a.ms for wave, a in answers if a.ok and (wave > 0 or level == 1)]
        return {
            "in_flight": level,
            "requests": len(answers),
            "ok": len(ok),
            "seconds": round(seconds, 4),
            "throughput_rps": round(len(ok) / seconds, 3) if seconds > 0 else 0.0,
            "median_ms": round(statistics.median(ok), 3) if ok else None,
            "steady_ms": round(statistics.median(steady), 3) if steady else None,
        }


def _typical(samples: list[dict[str, Any]], ids: list[Any]) -> Any:
    """The record of the median time (a typical one: the concurrency sweep must not ride on the heavy one)."""
    answered = sorted((s for s in samples if 200 <= s["status"] < 300), key=lambda s: s["ms"])
    if answered:
        return answered[(len(answered) - 1) // 2]["id"]
    return ids[0] if ids else None


def _records_line(name: str, samples: list[dict[str, Any]]) -> str:
    ok = [s for s in samples if 200 <= s["status"] < 300 and not s.get("repeat")]
    if not ok:
        return f"{name}: records: {len(samples)} requests, none answered 2xx"
    slowest = max(ok, key=lambda s: s["ms"])
    times = statistics.median(s["ms"] for s in ok)
    return (
        f"{name}: records: {len({s['id'] for s in samples})} ids, median {times:,.0f} ms; slowest id {slowest['id']}: "
        f"{slowest['ms']:,.0f} ms, {slowest['bytes'] / 1024:,.0f} KB"
    )


def _sizes_line(name: str, samples: list[dict[str, Any]]) -> str:
    by_limit: dict[int, list[float]] = {}
    for s in samples:
        if 200 <= s["status"] < 300:
            by_limit.setdefault(s["limit"], []).append(s["ms"])
    parts = ", ".join(f"limit={k}: {statistics.median(v):,.0f} ms" for k, v in sorted(by_limit.items()))
    return f"{name}: page sizes: {parts or 'no 2xx answer'}"


def _levels_line(name: str, levels: list[dict[str, Any]]) -> str:
    parts = ", ".join(
        f"{lv['in_flight']} in flight {lv['steady_ms']:,.0f} ms"
        if lv["steady_ms"] is not None
        else f"{lv['in_flight']}: n/a"
        for lv in levels
    )
    return f"{name}: concurrency (median once the queue is full): {parts}"
