"""The app under load: gunicorn (congress_app/gunicorn_conf.py) hit by wrk, next to nginx
serving the same bytes as static files, with each worker's peak memory sampled throughout.

Figures: /stage.json polled by 1,000 connections (with the current ETag, so mostly 304,
and without it), the QR landing page /d/<CODE> and the file download /d/<CODE>/file at 200
connections against nginx's rate for the same bytes, search over real HTTP, and a burst:
1,600 phones opening the same landing page, then the same 2 MB PDF, within 10 seconds —
first against gunicorn alone, then behind nginx as production runs it (reverse proxy, the
app started with CONGRESS_ACCEL_REDIRECT and CONGRESS_TRUSTED_PROXIES, nginx sending the
file from the store), so the two sets of figures come from the same run.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from congress_app.web.stage import POLL_INTERVAL_MS

from . import lighthouse
from .report import ROOT, Report, Target
from .searching import QUERIES

BENCH_DIR = ROOT / "bench"
WRK_SCRIPT = BENCH_DIR / "wrk" / "status.lua"
NGINX_TEMPLATE = BENCH_DIR / "nginx.conf.template"
NGINX_PROXY_TEMPLATE = BENCH_DIR / "nginx-proxy.conf.template"
# The internal location of the proxy template, as in the README's nginx section.
ACCEL_PREFIX = "/_congress_files/"
GUNICORN_CONF = ROOT / "congress_app" / "gunicorn_conf.py"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
REDIS_SERVER = "/usr/bin/redis-server"
PHONES = 1000
CONNECTIONS = 200
# A city's congress hall: every delegate scans the same code within seconds.
BURST_PHONES = 1600
BURST_SECONDS = 10
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _get(port: int, path: str, headers: dict | None = None, timeout: float = 10):
    """(status, headers, body) of one GET over a fresh connection."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _stop(process: subprocess.Popen, sig: int, grace: float = 20) -> None:
    """Ask our own process to stop; if it does not, kill its process group (ours too)."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def redis_server(workdir: Path):
    """A throw-away redis-server for the rate limits, as production has: gunicorn_conf.py
    refuses several workers that would each count in their own memory. Yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", HOST, "--dir", str(workdir),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}")
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not answer within 30 s") from None
                time.sleep(0.05)
        yield f"redis://{HOST}:{port}"
    finally:
        _stop(process, signal.SIGTERM)


@contextmanager
def gunicorn(env: dict[str, str], port: int, workdir: Path):
    """gunicorn with the production settings on `port` (rate limits in a Redis of its own),
    until the block ends."""
    with redis_server(workdir) as redis_url:
        env = {"CONGRESS_RATELIMIT_STORAGE_URI": redis_url, **env}
        with _gunicorn(env, port, workdir) as process:
            yield process


@contextmanager
def _gunicorn(env: dict[str, str], port: int, workdir: Path):
    log = workdir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", str(GUNICORN_CONF), "congress_app:create_app()"],
            env={**os.environ, **env, "HOST": HOST, "PORT": str(port)},
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        _wait_until_up(process, port, log)
        yield process
    finally:
        _stop(process, signal.SIGTERM)


def _wait_until_up(process: subprocess.Popen, port: int, log: Path, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        try:
            if _get(port, "/stage.json", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {limit:.0f} s:\n{_tail(log)}")


@contextmanager
def nginx(port: int, root: Path, workdir: Path, template: Path = NGINX_TEMPLATE,
          name: str = "nginx", **fill: str):
    """A throw-away nginx (own prefix and config) on `port`: `template` with @PREFIX@,
    @PORT@, @ROOT@ and any @KEY@ of `fill` filled in; yields the process."""
    prefix = workdir / name
    (prefix / "tmp").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    text = (template.read_text().replace("@PREFIX@", str(prefix))
            .replace("@PORT@", str(port)).replace("@ROOT@", str(root)))
    for key, value in fill.items():
        text = text.replace(f"@{key}@", value)
    conf.write_text(text)
    log = prefix / "error.log"
    process = subprocess.Popen(
        ["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited with {process.returncode}:\n{_tail(log)}")
            try:
                _get(port, "/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start:\n{_tail(log)}") from None
                time.sleep(0.1)
        yield process
    finally:
        _stop(process, signal.SIGQUIT, grace=10)


def proc_status_kb(pid: int, field: str) -> int | None:
    """A memory figure (kB) from /proc/<pid>/status; None once the process has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


class RssPeak(threading.Thread):
    """The largest resident memory (VmRSS) each worker of a gunicorn master reaches while
    it runs: VmHWM would also count what earlier figures left behind."""

    def __init__(self, master_pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.workers = MemorySampler(master_pid).workers
        self.every = every
        self.peak_kb: dict[int, int] = {}
        self.peak_sum_kb = 0
        self.first_kb: dict[int, int] = {}  # at the start: the peak minus this is the growth
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            now = {pid: kb for pid in self.workers()
                   if (kb := proc_status_kb(pid, "VmRSS")) is not None}
            for pid, kb in now.items():
                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), kb)
                self.first_kb.setdefault(pid, kb)
            self.peak_sum_kb = max(self.peak_sum_kb, sum(now.values()))
            self._stop_event.wait(self.every)

    def __enter__(self) -> RssPeak:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop_event.set()
        self.join(5)


class MemorySampler(threading.Thread):
    """Peak memory (VmHWM) of every worker of a gunicorn master, sampled until stopped;
    workers recycled by max_requests are caught while they live."""

    def __init__(self, master_pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.master_pid, self.every = master_pid, every
        self.peak_kb: dict[int, int] = {}
        self._stop_event = threading.Event()

    def workers(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # The command may contain spaces or parentheses: fields follow the last ")".
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.master_pid:
                    pids.append(int(entry.name))
        return pids

    def run(self) -> None:
        while not self._stop_event.is_set():
            for pid in self.workers():
                kb = proc_status_kb(pid, "VmHWM")
                if kb is not None:
                    self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), kb)
            self._stop_event.wait(self.every)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


@dataclass
class WrkRun:
    """What one wrk run measured (latencies in ms)."""

    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p99_ms: float
    ok: int
    not_modified: int
    redirects: int
    other: int
    socket_errors: int
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    wrk_said: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def non_2xx(self) -> int:
        return self.not_modified + self.redirects + self.other

    def silence(self, url: str, connections: int) -> str:
        """Why a run got no answer, as far as wrk can tell: its socket errors by kind, the
        statuses it did get, and what it printed (the cause of a silent run on some machine
        must be readable from the bench's own output)."""
        kinds = ", ".join(f"{kind} {n}" for kind, n in self.errors_by_kind.items()) or "none"
        said = " ".join(self.wrk_said.split())[:300] or "nothing"
        return (f"wrk got no answer from {url} in {self.seconds:.1f} s with {connections} "
                f"connections: socket errors {kinds}; 304 {self.not_modified}, 3xx "
                f"{self.redirects}, other statuses {self.other}; wrk said: {said}")


def wrk(url: str, connections: int, seconds: float, etag: str | None = None,
        pause_ms: int = 0, uniform: bool = False, timeout: float = 2) -> WrkRun:
    """One wrk run with the counting script; connections spread over one thread per core.

    Without a pause every connection asks again the moment it is answered (the server's
    capacity); with one, each waits like a phone between two polls (what phones feel)."""
    threads = min(os.cpu_count() or 1, connections)
    _answers_once(url)
    done = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
         "--latency", "--timeout", f"{timeout:g}s", "-s", str(WRK_SCRIPT), url],
        env={**os.environ, "WRK_IF_NONE_MATCH": etag or "", "WRK_DELAY_MS": str(pause_ms),
             "WRK_DELAY_UNIFORM": "1" if uniform else ""},
        capture_output=True, text=True, timeout=seconds + 60,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    data = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    kinds = {kind: data[kind] for kind in ("connect", "read", "write", "timeout")}
    run = WrkRun(
        requests=data["requests"], seconds=data["duration_us"] / 1e6, bytes=data["bytes"],
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        ok=data["n2xx"], not_modified=data["n304"], redirects=data["n3xx"],
        other=data["nother"], socket_errors=sum(kinds.values()), errors_by_kind=kinds,
        wrk_said=(done.stderr + "\n".join(
            line for line in done.stdout.splitlines() if not line.startswith("BENCH_JSON "))),
    )
    if run.requests == 0:
        print(run.silence(url, connections), file=sys.stderr, flush=True)
    return run


def _answers_once(url: str) -> None:
    """One plain GET before the load: a server that does not answer it now (dead, still
    starting, or worn out by the scenario before) would make the run measure nothing."""
    parts = urllib.parse.urlsplit(url)
    try:
        status = _get(parts.port or 80, parts.path or "/", timeout=10)[0]
    except OSError as error:
        raise RuntimeError(f"{url} did not answer one request before the load: {error}") from None
    if status not in (200, 304):
        raise RuntimeError(f"{url} answered {status} to one request before the load")


def _raise_file_limit() -> None:
    """1,000 connections need more than the usual 1,024 descriptors (wrk and workers)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _current_etag(port: int) -> str:
    """The stage's ETag right now, started early in a minute: the tag changes each minute."""
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    status, headers, _ = _get(port, "/stage.json")
    if status != 200 or "ETag" not in headers:
        raise RuntimeError(f"/stage.json answered {status} without an ETag")
    return headers["ETag"]


def _stage(report: Report, port: int, seconds: float, runs: int) -> None:
    url = f"http://{HOST}:{port}/stage.json"
    wrk(url, PHONES, 1)  # warm-up: templates, connections, the workers' first queries
    for with_etag in (True, False):
        results = []
        for _ in range(runs):
            results.append(wrk(url, PHONES, seconds, _current_etag(port) if with_etag else None))
        answered = [r.requests for r in results]
        name = "stage.etag" if with_etag else "stage.plain"
        label = ("/stage.json, 1,000 phones, If-None-Match" if with_etag
                 else "/stage.json, 1,000 phones, no ETag")
        not_modified = sum(r.not_modified for r in results)
        report.add(f"{name}.rate", f"{label}: req/s", "req/s", [r.rate for r in results],
                   note=f"{not_modified / max(sum(answered), 1):.0%} answered 304",
                   answered=answered)
        report.add(f"{name}.p50", f"{label}: p50", "ms", [r.p50_ms for r in results],
                   answered=answered)
        report.add(f"{name}.p99", f"{label}: p99", "ms", [r.p99_ms for r in results],
                   answered=answered)
        errors = [r.redirects + r.other + r.socket_errors + (0 if with_etag else r.not_modified)
                  for r in results]
        report.add(f"{name}.errors", f"{label}: errors", "count", errors,
                   target=Target("<=", 0), note="status other than 200/304, or socket errors",
                   answered=answered)
    # What the hall really asks: every phone polls once per POLL_INTERVAL_MS, with the ETag.
    interval = POLL_INTERVAL_MS
    results = [wrk(url, PHONES, max(seconds, 2 * interval / 1000), _current_etag(port),
                   pause_ms=interval) for _ in range(runs)]
    answered = [r.requests for r in results]
    label = f"/stage.json, 1,000 phones polling every {interval / 1000:g} s"
    report.add("stage.polling.rate", f"{label}: req/s", "req/s", [r.rate for r in results],
               note=f"offered about {PHONES * 1000 // interval} req/s", answered=answered)
    report.add("stage.polling.p50", f"{label}: p50", "ms", [r.p50_ms for r in results],
               answered=answered)
    report.add("stage.polling.p99", f"{label}: p99", "ms", [r.p99_ms for r in results],
               answered=answered)
    report.add("stage.polling.errors", f"{label}: errors", "count",
               [r.redirects + r.other + r.socket_errors for r in results],
               target=Target("<=", 0), note="status other than 200/304, or socket errors",
               answered=answered)


def _against_nginx(report: Report, name: str, label: str, app_url: str, nginx_url: str,
                   seconds: float, runs: int, p99_target: float | None) -> None:
    """App and nginx in turn (so noise from elsewhere hits both alike), `runs` times."""
    wrk(app_url, CONNECTIONS, 1)
    wrk(nginx_url, CONNECTIONS, 1)
    app_runs, nginx_runs = [], []
    for _ in range(runs):
        app_runs.append(wrk(app_url, CONNECTIONS, seconds))
        nginx_runs.append(wrk(nginx_url, CONNECTIONS, seconds))
    app_answered = [r.requests for r in app_runs]
    nginx_answered = [r.requests for r in nginx_runs]
    report.add(f"{name}.rate", f"{label}: app req/s", "req/s", [r.rate for r in app_runs],
               note=f"{CONNECTIONS} connections", answered=app_answered)
    report.add(f"{name}.p50", f"{label}: app p50", "ms", [r.p50_ms for r in app_runs],
               answered=app_answered)
    report.add(f"{name}.p99", f"{label}: app p99", "ms", [r.p99_ms for r in app_runs],
               target=Target("<=", p99_target) if p99_target else None, answered=app_answered)
    report.add(f"{name}.non_2xx", f"{label}: app non-2xx + socket errors", "count",
               [r.non_2xx + r.socket_errors for r in app_runs], target=Target("<=", 0),
               answered=app_answered)
    report.add(f"{name}.nginx_rate", f"{label}: nginx static req/s", "req/s",
               [r.rate for r in nginx_runs], note="same bytes as a static file",
               answered=nginx_answered)
    report.add(f"{name}.nginx_p99", f"{label}: nginx p99", "ms", [r.p99_ms for r in nginx_runs],
               answered=nginx_answered)
    report.add(f"{name}.ratio", f"{label}: app / nginx", "%",
               [100 * a.rate / n.rate for a, n in zip(app_runs, nginx_runs, strict=True)],
               target=Target(">=", 25) if p99_target else None,
               answered=[min(a, n) for a, n in zip(app_answered, nginx_answered, strict=True)])


def _burst(report: Report, port: int, code: str, big_code: str, seconds: float,
           master_pid: int, prefix: str = "burst", via: str = "app alone") -> None:
    """1,600 phones scan the same code within the window: each connection waits a random
    0–5 s before asking, and again after its answer (5 s stays under gunicorn's keep-alive, so
    the server does not close a phone's connection while it waits), so every phone has asked
    by 5 s. A phone gives up after 10 s, not wrk's usual 2 s: a 2 MB PDF takes a while.

    `port` is gunicorn's (app alone) or nginx's in front of it; `master_pid` is gunicorn's,
    whose workers' resident memory is sampled during each of the two runs."""
    pause = int(seconds * 500)
    for name, label, path in (
        (f"{prefix}.landing", f"burst ({via}): 1,600 phones open /d/CODE", f"/d/{code}"),
        (f"{prefix}.pdf", f"burst ({via}): 1,600 phones download a 2 MB PDF",
         f"/d/{big_code}/file"),
    ):
        with RssPeak(master_pid) as memory:
            run = wrk(f"http://{HOST}:{port}{path}", BURST_PHONES, seconds, pause_ms=pause,
                      uniform=True, timeout=10)
        # wrk may overrun its -d when starved of CPU: the rates below divide by what it ran.
        # The count itself stays a figure (0 is what it measured); the rest needs answers.
        report.add(f"{name}.requests", f"{label}: answered", "count", [run.ok],
                   note=f"{BURST_PHONES} connections, {seconds:g} s asked, wrk ran "
                        f"{run.seconds:.1f} s")
        report.add(f"{name}.rate", f"{label}: req/s", "req/s", [run.rate], answered=[run.requests])
        report.add(f"{name}.bytes", f"{label}: bytes/s", "MB/s", [run.bytes / run.seconds / 1e6],
                   note="response bytes wrk read, headers included", answered=[run.requests])
        report.add(f"{name}.p50", f"{label}: p50", "ms", [run.p50_ms], answered=[run.requests])
        report.add(f"{name}.p99", f"{label}: p99", "ms", [run.p99_ms], answered=[run.requests])
        report.add(f"{name}.errors", f"{label}: errors", "count",
                   [run.non_2xx + run.socket_errors], target=Target("<=", 0),
                   note="non-2xx answers or socket errors (phones giving up at 10 s included)",
                   answered=[run.requests])
        if memory.peak_kb:
            growth = max(memory.peak_kb[pid] - memory.first_kb[pid] for pid in memory.peak_kb)
            report.add(f"{name}.worker_rss", f"{label}: peak RSS of one gunicorn worker", "MB",
                       [max(memory.peak_kb.values()) / 1024],
                       note=f"all {len(memory.peak_kb)} workers together at most "
                            f"{memory.peak_sum_kb / 1024:.0f} MB; a worker grew by at most "
                            f"{growth / 1024:.1f} MB during this run")


def _check_accel(report: Report, app_port: int, nginx_port: int, big_code: str,
                 store: Path) -> None:
    """Before the burst: the app answers the PDF with X-Accel-Redirect and no body, and nginx
    turns that into the whole file, byte for byte (the store names a file by its sha256)."""
    path = f"/d/{big_code}/file"
    status, app_headers, app_body = _get(app_port, path)
    target = app_headers.get("X-Accel-Redirect", "")
    if status != 200 or not target.startswith(ACCEL_PREFIX) or app_body:
        raise RuntimeError(f"the app did not hand {path} to nginx: {status}, "
                           f"X-Accel-Redirect {target!r}, {len(app_body)} body bytes")
    stored = store / target.removeprefix(ACCEL_PREFIX)
    sha256 = stored.parent.name + stored.name
    expected = stored.read_bytes()
    if hashlib.sha256(expected).hexdigest() != sha256:
        raise RuntimeError(f"{stored} does not hold the bytes its name says")
    status, headers, body = _get(nginx_port, path, timeout=30)
    if status != 200 or body != expected or "X-Accel-Redirect" in headers:
        raise RuntimeError(f"nginx answered {path} with {status}, {len(body)} bytes "
                           f"(expected {len(expected)}), headers {headers}")
    # nginx keeps only some of the app's headers across an X-Accel-Redirect.
    kept = ("Content-Type", "Content-Disposition", "Cache-Control", "ETag", "Last-Modified",
            "Content-Security-Policy", "X-Content-Type-Options")
    lost = [name for name in kept if name in app_headers and name not in headers]
    report.details["burst_nginx.accel_check"] = {
        "path": path, "x_accel_redirect": target, "app_body_bytes": len(app_body),
        "nginx_body_bytes": len(body), "sha256": sha256, "sha256_matches": True,
        "app_headers": {k: v for k, v in app_headers.items() if k in kept},
        "nginx_headers": {k: v for k, v in headers.items() if k in kept},
        "app_headers_lost_through_nginx": lost,
    }
    report.add("burst_nginx.accel_body", "X-Accel-Redirect: PDF bytes from nginx", "bytes",
               [len(body)], note=f"app sent {len(app_body)} body bytes; sha256 matches"
               + (f"; lost on the way: {', '.join(lost)}" if lost else ""))


def _access_log_totals(log: Path, path: str) -> tuple[int, int, int]:
    """(requests, bytes gunicorn sent nginx, bytes nginx sent phones) for `path` in the
    proxy's access log (format `bench` in nginx-proxy.conf.template)."""
    count = upstream = sent = 0
    for line in log.read_text(errors="replace").splitlines():
        fields = line.split()
        if len(fields) != 4 or fields[3] != path or fields[0] != "200":
            continue
        count += 1
        sent += int(fields[1])
        # "0" for one upstream, "0, 0" style lists when nginx tried several; "-" if none.
        upstream += sum(int(x) for x in fields[2].strip('"').replace(",", " ").split()
                        if x.isdigit())
    return count, upstream, sent


def _burst_behind_nginx(report: Report, env: dict[str, str], code: str, big_code: str,
                        seconds: float, workdir: Path) -> None:
    """The burst again, through nginx as in production: a fresh gunicorn started with
    CONGRESS_ACCEL_REDIRECT and CONGRESS_TRUSTED_PROXIES=1, nginx proxying to it and sending
    the PDF itself; checks that it really does before measuring."""
    store = Path(env["CONGRESS_FILE_STORE"])
    # nginx's workers run as nobody when started by root: let them through the throw-away
    # instance's directories to the store (and no further: the database stays 0600).
    store.parent.chmod(store.parent.stat().st_mode | 0o111)
    for entry in (store, *store.rglob("*")):
        entry.chmod(0o755 if entry.is_dir() else 0o644)
    accel_env = {**env, "CONGRESS_ACCEL_REDIRECT": ACCEL_PREFIX, "CONGRESS_TRUSTED_PROXIES": "1"}
    app_port, nginx_port = free_port(), free_port()
    accel_dir = workdir / "accel"
    accel_dir.mkdir()
    with gunicorn(accel_env, app_port, accel_dir) as server, \
            nginx(nginx_port, store, accel_dir, template=NGINX_PROXY_TEMPLATE,
                  name="nginx-proxy", APP_PORT=str(app_port), STORE=str(store)):
        _check_accel(report, app_port, nginx_port, big_code, store)
        # Warm-up, as gunicorn alone was warmed by the figures before its burst.
        wrk(f"http://{HOST}:{nginx_port}/d/{code}", CONNECTIONS, 1)
        wrk(f"http://{HOST}:{nginx_port}/d/{big_code}/file", CONNECTIONS, 1, timeout=10)
        _burst(report, nginx_port, code, big_code, seconds, server.pid,
               prefix="burst_nginx", via="nginx → app, X-Accel-Redirect")
    # nginx has stopped, so its buffered access log is all on disk.
    count, upstream, sent = _access_log_totals(accel_dir / "nginx-proxy" / "access.log",
                                               f"/d/{big_code}/file")
    report.add("burst_nginx.pdf.app_bytes", "X-Accel-Redirect: body bytes gunicorn sent per PDF",
               "bytes", [upstream / max(count, 1)],
               note=f"{count} PDF answers in nginx's access log (warm-up included), "
                    f"nginx sent {sent / max(count, 1):,.0f} bytes each")


def _search_http(report: Report, port: int, rounds: int) -> None:
    """Search as a phone does it: a real HTTP request to gunicorn, one at a time."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    samples = []
    try:
        for n in range(rounds + 1):
            for q in QUERIES:
                start = time.perf_counter()
                connection.request("GET", "/search?" + urllib.parse.urlencode({"q": q}))
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"/search?q={q} answered {response.status}")
                if n:  # the first round warms the workers up
                    samples.append((time.perf_counter() - start) * 1000)
    finally:
        connection.close()
    report.add("search.http", "search: HTTP request to gunicorn", "ms", samples, show_p95=True,
               note=f"{len(QUERIES)} queries × {rounds}, one keep-alive connection")


def measure(report: Report, env: dict[str, str], code: str, big_code: str, *, seconds: float,
            runs: int, search_rounds: int) -> None:
    """Start gunicorn and nginx, run every load figure, stop both whatever happens."""
    _raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    static = Path(tempfile.mkdtemp(prefix="bench-static-"))
    static.chmod(0o755)  # nginx's workers run as nobody when started by root
    app_port, nginx_port = free_port(), free_port()
    try:
        with gunicorn(env, app_port, workdir) as server:
            sampler = MemorySampler(server.pid)
            sampler.start()
            try:
                print("  Lighthouse: home, programme, a document page", flush=True)
                lighthouse.measure(report, f"http://{HOST}:{app_port}",
                                   {"home": "/", "programme": "/programme",
                                    "document": f"/d/{code}"})
                landing, pdf = _static_copies(app_port, code, static)
                with nginx(nginx_port, static, workdir):
                    app = f"http://{HOST}:{app_port}"
                    ceiling = f"http://{HOST}:{nginx_port}"
                    print(f"  QR landing page /d/{code} ({landing} bytes) vs nginx", flush=True)
                    _against_nginx(report, "landing", "QR landing page", f"{app}/d/{code}",
                                   f"{ceiling}/landing.html", seconds, runs, p99_target=100)
                    print(f"  file download /d/{code}/file ({pdf} bytes) vs nginx", flush=True)
                    _against_nginx(report, "file", "file download", f"{app}/d/{code}/file",
                                   f"{ceiling}/document.pdf", seconds, runs, p99_target=None)
                print("  /stage.json, 1,000 connections", flush=True)
                _stage(report, app_port, seconds, runs)
                print("  search over HTTP", flush=True)
                _search_http(report, app_port, search_rounds)
                print(f"  burst: {BURST_PHONES:,} phones within {BURST_SECONDS} s, app alone",
                      flush=True)
                _burst(report, app_port, code, big_code, BURST_SECONDS, server.pid)
            finally:
                sampler.stop()
            peaks = sampler.peak_kb
            report.add("memory.worker_peak", "peak memory of one worker (VmHWM)", "MB",
                       [max(peaks.values()) / 1024] if peaks else [],
                       target=Target("<=", 150),
                       note=f"max over {len(peaks)} worker process(es) seen during the load")
        print(f"  burst: {BURST_PHONES:,} phones within {BURST_SECONDS} s, nginx → app "
              "(X-Accel-Redirect)", flush=True)
        _burst_behind_nginx(report, env, code, big_code, BURST_SECONDS, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(static, ignore_errors=True)


def _static_copies(port: int, code: str, static: Path) -> tuple[int, int]:
    """The landing page and the PDF exactly as the app serves them, for nginx to serve."""
    sizes = []
    for path, name in ((f"/d/{code}", "landing.html"), (f"/d/{code}/file", "document.pdf")):
        status, _, body = _get(port, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        (static / name).write_bytes(body)
        (static / name).chmod(0o644)
        sizes.append(len(body))
    return sizes[0], sizes[1]
