"""`--warmup-ids FILE`: ids harvested once and reused (one warm-up for a capacity search)."""

from __future__ import annotations

from pathlib import Path

from ops_perf.users import warmup_file
from ops_perf.users.warmup import WarmupSummary


def summary(**changes: object) -> WarmupSummary:
    base = {"seconds": 1.5, "pools": {"agreements": 2, "cans": 1}, "failures": [], "empty_pools": [],
            "endpoints_without_ids": [], "requests": 21, "deadline_s": 60.0, "deadline_hit": False, "ids_per_pool": 50}  # fmt: skip
    base.update(changes)
    return WarmupSummary(**base)  # type: ignore[arg-type]


def test_saved_ids_come_back_with_a_summary_that_sent_nothing(tmp_path: Path) -> None:
    path = tmp_path / "warmup-ids.json"
    ids = {"agreements": [1, 2], "cans": ["c-1"]}
    warmup_file.save(path, ids, summary())
    loaded = warmup_file.load(path, ["agreements", "cans"])
    assert loaded is not None
    got, reused = loaded
    assert got == ids
    assert (reused.requests, reused.seconds, reused.reused_from) == (0, 0.0, str(path))
    assert reused.pools == {"agreements": 2, "cans": 1}
    assert "reused from" in reused.lines()[0] and "no requests" in reused.lines()[0]
    assert list(tmp_path.iterdir()) == [path], "no temporary file left behind"


def test_a_file_that_does_not_cover_the_pools_or_is_broken_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "warmup-ids.json"
    assert warmup_file.load(path, ["agreements"]) is None  # missing: harvest
    warmup_file.save(path, {"agreements": [1]}, summary())
    assert warmup_file.load(path, ["agreements", "cans"]) is None  # another catalog: harvest
    path.write_text("{not json", encoding="utf-8")
    assert warmup_file.load(path, ["agreements"]) is None
    path.write_text('{"ids": {"agreements": [1]}}', encoding="utf-8")
    assert warmup_file.load(path, ["agreements"]) is None
