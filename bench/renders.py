"""PDF renders: cold (first render in a fresh process, empty cache) and again (cached).

Each cold sample is a new `python -m bench.renders <kind>` process with its own empty
CACHE_DIR, so fonts, the base CSS, QR images and the PDF cache all start from nothing, as
after a restart. The process times only the render calls and prints them as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from .report import FAILED, ROOT, Report, Target

CARDS = 168


def _programme(congress) -> Callable[[], object]:
    from flask_login import AnonymousUserMixin

    from congress_app.pdf.programme import render_programme_pdf

    return lambda: render_programme_pdf(congress, AnonymousUserMixin())


def _cards(congress) -> Callable[[], object]:
    from congress_app.models import DelegateKind
    from congress_app.pdf.cards import card_delegates, render_cards_pdf

    delegates = [d for d in card_delegates(congress) if d.kind == DelegateKind.OFFICIAL][:CARDS]
    if len(delegates) != CARDS:
        raise RuntimeError(f"the demo roster has {len(delegates)} official delegates, not {CARDS}")
    return lambda: render_cards_pdf(congress, delegates)


def _qr_sheet(congress) -> Callable[[], object]:
    from congress_app.pdf import qr_sheet
    from congress_app.pdf.editions import Edition

    return lambda: qr_sheet.render(congress, Edition.PUBLIC, {"grid": "4x5", "category": ""})


def _stamp(congress) -> Callable[[], object]:
    from flask import current_app

    from congress_app.pdf import stamp
    from congress_app.services import documents as document_service

    document = document_service.find_by_code(os.environ["BENCH_STAMP_CODE"])
    version = document.current_version
    base_url = current_app.config["PUBLIC_BASE_URL"]
    return lambda: stamp.render_stamped(document, version, pages="all", corner="top-right",
                                        base_url=base_url)


@dataclass(frozen=True)
class Kind:
    """One printable: how to render it, its targets, and what its repeat calls mean."""

    label: str
    prepare: Callable[[object], Callable[[], object]]
    cold_target: float | None = None
    again_target: float | None = None
    again_name: str = "cached"
    again_calls: int = 5


KINDS = {
    "programme": Kind("programme PDF", _programme, 1000, 20),
    # Cards hold secrets and are never cached: "again" is one more full render.
    "cards": Kind(f"{CARDS} delegate cards", _cards, 2000, None, "second render", 1),
    "qr_sheet": Kind("QR sheet 4×5, all documents", _qr_sheet),
    "stamp": Kind("stamped document, 30 pages", _stamp),
}


def _worker(kind: str) -> dict:
    """In a fresh process: time the first render and a few more of one kind."""
    from congress_app.services import congress as congress_service

    from .instance import PUBLIC_BASE_URL, bench_app

    app = bench_app()
    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = congress_service.first_congress()
        call = KINDS[kind].prepare(congress)
        times = []
        for _ in range(1 + KINDS[kind].again_calls):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
    return {"status": "ok", "cold_ms": times[0], "again_ms": times[1:]}


def _run_worker(kind: str, env: dict[str, str]) -> dict:
    """One cold sample: a new process with its own empty cache directory."""
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        done = subprocess.run(
            [sys.executable, "-m", "bench.renders", kind],
            env={**os.environ, **env, "CONGRESS_CACHE_DIR": cache},
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": FAILED, "reason": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(report: Report, env: dict[str, str], runs: int) -> None:
    """Cold and again figures for every kind; a renderer that fails is a failed figure."""
    for kind, spec in KINDS.items():
        label, again_name = spec.label, spec.again_name
        cold, again, failure = [], [], None
        for _ in range(runs):
            result = _run_worker(kind, env)
            if result["status"] != "ok":
                failure = result
                break
            cold.append(result["cold_ms"])
            again.extend(result["again_ms"])
        cold_t = Target("<=", spec.cold_target) if spec.cold_target else None
        again_t = Target("<=", spec.again_target) if spec.again_target else None
        if failure is not None:
            for key, name, target in (("cold", "cold", cold_t), ("again", again_name, again_t)):
                report.unavailable(f"render.{kind}.{key}", f"{label}: {name}", "ms",
                                   failure["reason"], status=failure["status"], target=target)
            print(f"  {label}: {failure['status']} ({failure['reason']})", flush=True)
            continue
        report.add(f"render.{kind}.cold", f"{label}: cold", "ms", cold, target=cold_t,
                   note="fresh process, empty cache")
        report.add(f"render.{kind}.again", f"{label}: {again_name}", "ms", again,
                   target=again_t, note=f"{spec.again_calls} call(s) after the first, per process")


if __name__ == "__main__":
    print(json.dumps(_worker(sys.argv[1])))
