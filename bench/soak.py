"""`make bench-soak`: ten minutes at 200 connections over the pages a congress serves, with
the workers' memory sampled throughout. A leak shows as memory that keeps climbing; the
figure is the change from the first minute (after warm-up) to the last, target ≤ 10 %.

Workers are recycled after GUNICORN_MAX_REQUESTS requests, which would hide a leak, so the
soak runs them without recycling (GUNICORN_MAX_REQUESTS=0) to see the real trend.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import load
from .report import RESULTS_DIR, Report, Target

SAMPLE_EVERY = 5.0


def _rss_mb(pid: int) -> float | None:
    """Resident memory of one process now (VmRSS), or None once it has gone."""
    kb = load.proc_status_kb(pid, "VmRSS")
    return None if kb is None else kb / 1024


def _window(samples: list[tuple[float, dict[int, float]]], begin: float, end: float,
            pid: int | None = None) -> float | None:
    """Median memory over [begin, end) s: of one worker, or of all workers together."""
    values = [by_pid.get(pid) if pid is not None else sum(by_pid.values())
              for t, by_pid in samples if begin <= t < end]
    values = [v for v in values if v]
    return statistics.median(values) if values else None


def soak(report: Report, env: dict[str, str], paths: list[str], minutes: float) -> None:
    load._raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    port = load.free_port()
    env = {**env, "GUNICORN_MAX_REQUESTS": "0"}
    try:
        with load.gunicorn(env, port, workdir) as server:
            sampler = load.MemorySampler(server.pid)
            samples: list[tuple[float, dict[int, float]]] = []
            stop = threading.Event()

            def sample() -> None:
                began = time.monotonic()
                while not stop.wait(SAMPLE_EVERY):
                    by_pid = {pid: mb for pid in sampler.workers()
                              if (mb := _rss_mb(pid)) is not None}
                    samples.append((time.monotonic() - began, by_pid))

            thread = threading.Thread(target=sample, daemon=True)
            thread.start()
            seconds = minutes * 60
            done = subprocess.run(
                ["wrk", "-t", str(os.cpu_count() or 1), "-c", str(load.CONNECTIONS),
                 # A phone waits 10 s, as in the burst: only answers slower than that, or
                 # none at all, count as errors (wrk's own 2 s would count slow ones too).
                 "-d", f"{seconds:g}s", "--timeout", "10s", "--latency",
                 "-s", str(load.BENCH_DIR / "wrk" / "mix.lua"),
                 f"http://{load.HOST}:{port}/"],
                env={**os.environ, "WRK_PATHS": ",".join(paths),
                     "WRK_STATUS_SCRIPT": str(load.WRK_SCRIPT)},
                capture_output=True, text=True, timeout=seconds + 120,
            )
            stop.set()
            thread.join(5)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # gunicorn's log
    lines = [x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    data = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    # Start: the 2nd minute (the 1st warms caches and connection pools up); middle: the
    # minute around half-time; end: the last minute. Short runs fall back to thirds.
    if seconds >= 180:
        windows = {"start": (60, 120), "middle": (seconds / 2 - 30, seconds / 2 + 30),
                   "end": (seconds - 60, seconds + 60)}
    else:
        windows = {"start": (0, seconds / 3), "middle": (seconds / 3, 2 * seconds / 3),
                   "end": (2 * seconds / 3, seconds + 60)}
    pids = sorted({pid for _, by_pid in samples for pid in by_pid})
    per_worker = {str(pid): {name: _window(samples, *span, pid=pid)
                             for name, span in windows.items()} for pid in pids}
    total = {name: _window(samples, *span) for name, span in windows.items()}
    start, middle, end = total["start"], total["middle"], total["end"]
    if not (start and middle and end):
        raise RuntimeError(f"too few memory samples ({len(samples)}) for {minutes:g} min")
    rate = data["requests"] / (data["duration_us"] / 1e6)
    answered = [data["requests"]]
    report.add("soak.requests", f"soak {minutes:g} min, {load.CONNECTIONS} connections: req/s",
               "req/s", [rate], note=", ".join(paths), answered=answered)
    report.add("soak.total", "soak: requests answered", "count", [data["requests"]])
    report.add("soak.errors", "soak: non-2xx + socket errors", "count",
               [data["n3xx"] + data["nother"] + data["connect"] + data["read"] + data["write"]
                + data["timeout"]], target=Target("<=", 0),
               note=", ".join(f"{key} {data[key]}" for key in
                              ("n3xx", "nother", "connect", "read", "write", "timeout")),
               answered=answered)
    report.add("soak.p50", "soak: p50", "ms", [data["p50_us"] / 1000], answered=answered)
    report.add("soak.p99", "soak: p99", "ms", [data["p99_us"] / 1000], answered=answered)
    report.add("soak.workers", "soak: worker processes seen", "count", [len(pids)],
               note="more than WEB_CONCURRENCY means a worker died and was replaced")
    report.add("soak.rss_start", "soak: workers' memory (RSS, sum), 2nd minute", "MB", [start])
    report.add("soak.rss_middle", "soak: workers' memory (RSS, sum), middle minute", "MB",
               [middle])
    report.add("soak.rss_end", "soak: workers' memory (RSS, sum), last minute", "MB", [end])
    report.add("soak.rss_change", "soak: memory change, 2nd minute to last", "%",
               [100 * (end - start) / start], target=Target("<=", 10))
    for pid, figures in per_worker.items():
        if figures["start"] and figures["end"]:
            report.add(f"soak.worker_{pid}.rss_change",
                       f"soak: worker {pid} memory change", "%",
                       [100 * (figures["end"] - figures["start"]) / figures["start"]],
                       target=Target("<=", 10),
                       note=", ".join(f"{k} {v:.1f} MB" for k, v in figures.items() if v))
    report.details["soak.memory"] = {
        "unit": "MB (VmRSS)",
        "every_s": SAMPLE_EVERY,
        "windows_s": windows,
        "per_worker": per_worker,
        "samples": [{"t": round(t, 1), **{str(pid): round(mb, 2) for pid, mb in by_pid.items()}}
                    for t, by_pid in samples],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float,
                        default=float(os.environ.get("BENCH_SOAK_MINUTES", 10)))
    parser.add_argument("--results", type=Path,
                        default=Path(os.environ.get("BENCH_RESULTS_DIR", RESULTS_DIR)),
                        help="where the JSON file goes (default bench/results)")
    args = parser.parse_args(argv)
    from .instance import bench_app, throwaway_instance
    from .run import _interrupt_on_sigterm, _landing_code, exit_status

    _interrupt_on_sigterm()
    report = Report(quick=False)
    try:
        with throwaway_instance() as instance:
            code = _landing_code(bench_app())
            paths = [f"/d/{code}", f"/d/{code}/file", "/stage.json", "/programme",
                     "/search?q=nghi+quyet", f"/d/{code}?mode=text", "/documents"]
            print(f"soak: {args.minutes:g} min over {', '.join(paths)}", flush=True)
            soak(report, instance.env, paths, args.minutes)
    except KeyboardInterrupt:
        return 130
    print(report.table())
    print(f"\nwritten to {report.write(args.results)}")
    return exit_status(report)


if __name__ == "__main__":
    sys.exit(main())
