"""`make bench` keeps working: a quick run of its in-process part writes a complete result file.

The load part (gunicorn, nginx, wrk) is left to `make bench` itself; this runs the renders,
QR codes, search and page images with BENCH_QUICK, in a fresh process, as `make bench` does.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.renders import KINDS
from congress_app.config import ROOT

from .conftest import only_on_sqlite

# Every renderer the bench knows, so one added later is required too.
RENDERS = tuple(f"render.{kind}.{when}" for kind in KINDS for when in ("cold", "again"))
ALWAYS_MEASURED = (
    "request.landing", "request.file", "request.stage_304", "request.stage_200",
    "search.service", "search.request", "pages.per_page",
    "qr.svg.cold", "qr.svg.cached", "qr.png.cold", "qr.png.cached",
    "render.programme.cold", "render.programme.again",
    "render.cards.cold", "render.cards.again",
    "render.qr_sheet.cold", "render.qr_sheet.again",
    "render.stamp.cold", "render.stamp.again",
    "comments.report_cold", "comments.report_warm",
    "comments.triage_page", "comments.triage_page_size",
    "comments.triage_counts_200", "comments.triage_counts_304",
    *RENDERS,
)
MACHINE_FACTS = ("cpu_count", "cpu_model", "python", "weasyprint", "git_commit")


@only_on_sqlite("the bench runs in a subprocess on its own SQLite database, so the "
                "PostgreSQL run would only repeat it")
def test_a_quick_bench_run_writes_every_figure_as_json(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--no-load", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "programme PDF: cold" in done.stdout  # the table was printed

    [result_file] = tmp_path.glob("*.json")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result["quick"] is True
    assert all(result["machine"][fact] for fact in MACHINE_FACTS)

    figures = result["figures"]
    for key in ALWAYS_MEASURED:
        assert key in figures, f"{key} was not measured"
    # Without the load part nothing may be "not available" or "failed": a renderer or a
    # tool that is missing fails here rather than leave a hole in the figures.
    not_measured = {key: figure for key, figure in figures.items() if figure["status"] != "ok"}
    assert not not_measured, not_measured
    for key, figure in figures.items():
        numbers = [figure[name] for name in ("median", "min", "max", "p95")]
        assert all(isinstance(n, float) and n > 0 for n in numbers), (key, figure)
        assert figure["min"] <= figure["median"] <= figure["max"], (key, figure)
        assert figure["runs"] >= 1
    assert figures["render.programme.cold"]["target"] == "≤ 1000 ms"
    assert isinstance(figures["render.programme.cold"]["met"], bool)
