"""`make bench` (python -m bench.run): build a throw-away congress, measure, print, save.

BENCH_QUICK=1 runs fewer repetitions and 3 s load runs (and 40 commenting phones within 15 s
instead of 168 within 60 s; 40 voting phones and 200 pollers of the live count instead of 168
and 1,000); --no-load (or BENCH_NO_LOAD=1)
leaves out gunicorn, nginx and wrk, which is what the test suite's smoke test runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from .report import RESULTS_DIR, Report


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "no")


def _interrupt_on_sigterm() -> None:
    """A TERM (from make or a CI timeout) unwinds like Ctrl-C, so servers are stopped."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _landing_code(app) -> str:
    """The public document with the most pages: the heaviest landing page a QR code opens."""
    from sqlalchemy import select

    from congress_app.extensions import db
    from congress_app.models import Document, Visibility

    with app.app_context():
        documents = db.session.scalars(
            select(Document).where(Document.visibility == Visibility.PUBLIC,
                                   Document.published.is_(True)))
        return max(documents, key=lambda d: d.current_version.pages).code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", default=_flag("BENCH_QUICK"),
                        help="fewer repetitions and 3 s load runs (also BENCH_QUICK=1)")
    parser.add_argument("--no-load", action="store_true", default=_flag("BENCH_NO_LOAD"),
                        help="skip gunicorn/nginx/wrk (also BENCH_NO_LOAD=1)")
    parser.add_argument("--results", type=Path,
                        default=Path(os.environ.get("BENCH_RESULTS_DIR", RESULTS_DIR)),
                        help="where the JSON file goes (default bench/results)")
    args = parser.parse_args(argv)
    _interrupt_on_sigterm()

    from . import (
        app_requests,
        comment_phones,
        comment_triage,
        comments_report,
        load,
        page_images,
        qrcodes,
        renders,
        roster_preview,
        searching,
        vote_phones,
    )
    from .instance import add_big_document, add_stamp_document, bench_app, throwaway_instance

    report = Report(quick=args.quick)
    runs = 1 if args.quick else 3
    began = time.monotonic()

    def step(name: str) -> None:
        print(f"[{time.monotonic() - began:5.1f} s] {name}", flush=True)

    try:
        step("building a throw-away instance (migrate, seed the demo congress)")
        with throwaway_instance() as instance:
            app = bench_app()
            code = _landing_code(app)
            step("one request at a time, in-process")
            app_requests.measure(report, app, code, count=20 if args.quick else 200)
            step("search")
            searching.measure(report, app, rounds=2 if args.quick else 10)
            step("roster preview")
            roster_preview.measure(report, app, runs=1 if args.quick else 5)
            step("page images")
            page_images.measure(report, app, 2 if args.quick else None)
            step("the compiled comments report")
            comments_report.measure(report, app, runs=1 if args.quick else 3,
                                    count=200 if args.quick else comments_report.COMMENTS)
            step("the triage page, on the same comments")
            comment_triage.measure(report, app, runs=2 if args.quick else 5)
            step("QR codes")
            qrcodes.measure(report, runs=2 if args.quick else 5, codes=20 if args.quick else 100)
            step("adding the 30-page document")
            env = {**instance.env, "BENCH_STAMP_CODE": add_stamp_document(app)}
            step("PDF renders (a fresh process per cold sample)")
            renders.measure(report, env, runs)
            phones, window = ((comment_phones.QUICK_PHONES, comment_phones.QUICK_WINDOW_SECONDS)
                              if args.quick else
                              (comment_phones.PHONES, comment_phones.WINDOW_SECONDS))
            if args.no_load:
                step("load: skipped (--no-load)")
            else:
                step(f"góp ý from the hall: {phones} phones each post a comment within "
                     f"{window:g} s while reading (gunicorn)")
                comment_phones.measure(report, app, env, phones=phones, window=window)
                voters, pollers = ((vote_phones.QUICK_PHONES, vote_phones.QUICK_POLLERS)
                                   if args.quick else (vote_phones.PHONES, vote_phones.POLLERS))
                step(f"biểu quyết: {voters} phones vote at once while {pollers} poll the live "
                     f"count (gunicorn)")
                vote_phones.measure(report, app, env, phones=voters, pollers=pollers)
                step("load: gunicorn, nginx and wrk")
                big_code = add_big_document(app)
                load.measure(report, env, code, big_code, seconds=3 if args.quick else 10,
                             runs=1, search_rounds=2 if args.quick else 10)
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, the throw-away instance deleted", file=sys.stderr)
        return 130
    step("done")
    print()
    print(report.table())
    path = report.write(args.results)
    print(f"\nwritten to {path}")
    return exit_status(report)


def exit_status(report: Report) -> int:
    """1 when a figure that should have been measured was not: such a run proves nothing."""
    if not report.failed:
        return 0
    print(f"\n{len(report.failed)} figures could not be measured, so this run fails:",
          file=sys.stderr)
    for figure in report.failed:
        print(f"  {figure.label}: {figure.note}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
