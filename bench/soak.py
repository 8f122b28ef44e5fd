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


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def soak(report: Report, env: dict[str, str], paths: list[str], minutes: float) -> None:
    load._raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    port = load.free_port()
    env = {**env, "GUNICORN_MAX_REQUESTS": "0"}
    with load.gunicorn(env, port, workdir) as server:
        sampler = load.MemorySampler(server.pid)
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            began = time.monotonic()
            while not stop.wait(SAMPLE_EVERY):
                samples.append((time.monotonic() - began, _rss_mb(sampler.workers())))

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        seconds = minutes * 60
        done = subprocess.run(
            ["wrk", "-t", str(os.cpu_count() or 1), "-c", str(load.CONNECTIONS),
             "-d", f"{seconds:g}s", "--latency", "-s", str(load.BENCH_DIR / "wrk" / "mix.lua"),
             f"http://{load.HOST}:{port}/"],
            env={**os.environ, "WRK_PATHS": ",".join(paths),
                 "WRK_STATUS_SCRIPT": str(load.WRK_SCRIPT)},
            capture_output=True, text=True, timeout=seconds + 120,
        )
        stop.set()
        thread.join(5)
    lines = [x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    data = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    first = [mb for t, mb in samples if 60 <= t < 120] or [samples[0][1]]
    last = [mb for t, mb in samples if t >= seconds - 60] or [samples[-1][1]]
    start, end = statistics.median(first), statistics.median(last)
    report.add("soak.requests", f"soak {minutes:g} min, {load.CONNECTIONS} connections: req/s",
               "req/s", [data["requests"] / (data["duration_us"] / 1e6)],
               note=", ".join(paths))
    report.add("soak.errors", "soak: non-2xx + socket errors", "count",
               [data["n3xx"] + data["nother"] + data["connect"] + data["read"] + data["write"]
                + data["timeout"]], target=Target("<=", 0))
    report.add("soak.p99", "soak: p99", "ms", [data["p99_us"] / 1000])
    report.add("soak.rss_start", "soak: workers' memory, 2nd minute", "MB", [start])
    report.add("soak.rss_end", "soak: workers' memory, last minute", "MB", [end])
    report.add("soak.rss_change", "soak: memory change", "%", [100 * (end - start) / start],
               target=Target("<=", 10))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float,
                        default=float(os.environ.get("BENCH_SOAK_MINUTES", 10)))
    args = parser.parse_args(argv)
    from .instance import bench_app, throwaway_instance
    from .run import _interrupt_on_sigterm, _landing_code

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
    print(f"\nwritten to {report.write(RESULTS_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
