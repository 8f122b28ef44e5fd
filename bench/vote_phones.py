"""Biểu quyết from the hall, on gunicorn with the production settings (`make bench`): the
official delegates' phones, each signed in with its card link, open the vote page and tap a
button in the same second (a barrier releases them together), while 1,000 projectors and
phones poll /stage.json for the live "đã biểu quyết: N / M" as static/js/stage.js does
(each with the ETag it last got, If-None-Match, every POLL_INTERVAL_MS). Afterwards the
database must hold exactly one ballot per phone, the secret counters must match the choices
sent, and every poller must have seen the final count: none lost, none doubled, none stale.

The phones are threads speaking plain HTTP (comment_phones.Phone); the pollers are asyncio
tasks in one thread, a fresh connection per poll (a phone on the hall's Wi-Fi).

`python -m bench.vote_phones [--quick]` runs this part alone on a throw-away instance.
`--kill` serves the app in a child process (werkzeug) instead and kills it (SIGKILL) while
the phones are voting: every ballot a phone was told about (its 302) must be in the
database afterwards, and the secret counters must still add up to the "voted" rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from datetime import time as clock
from pathlib import Path

from flask import Flask

from congress_app.web.stage import POLL_INTERVAL_MS

from . import load
from .comment_phones import CLIENT_ID, CSRF, TIMEOUT, Phone, nearest_rank
from .instance import PUBLIC_BASE_URL
from .report import Report, Target

PHONES = 168
WINDOW_SECONDS = 10  # every phone's tap answered within this, from the barrier's release
POLLERS = 1000
QUICK_PHONES = 40
QUICK_POLLERS = 200
CHOICES = ("for", "for", "against", "abstain")
QUESTION = "Thông qua Nghị quyết Đại hội (bench: biểu quyết trên điện thoại)"
VOTED = re.compile(rb'"voted"\s*:\s*(\d+)')


@dataclass(frozen=True)
class Hall:
    """The open secret vote and the card tokens of the phones that vote on it."""

    vote_id: int
    tokens: list[str]
    present: int


def prepare(app: Flask, phones: int) -> Hall:
    """In the demo congress: every official delegate checked in to the clock's session (what
    votes count against), and an open secret phone vote on the first agenda item."""
    from sqlalchemy import select

    from congress_app.extensions import db
    from congress_app.models import Delegate, DelegateKind
    from congress_app.services import attendance
    from congress_app.services import congress as congress_service
    from congress_app.services import stage as stage_service
    from congress_app.services import votes as vote_service
    from congress_app.services.delegates import card_token

    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = congress_service.first_congress()
        delegates = list(db.session.scalars(select(Delegate).where(
            Delegate.congress_id == congress.id, Delegate.kind == DelegateKind.OFFICIAL,
            Delegate.active.is_(True)).order_by(Delegate.number)))
        for delegate in delegates:
            attendance.check_in(delegate)
        item = stage_service.programme_order(congress)[0]
        vote = vote_service.create(congress, item, None, question=QUESTION,
                                   method="phones", secret=True)
        vote_service.open_vote(vote, None)
        hall = Hall(vote.id, [card_token(d) for d in delegates[:phones]],
                    vote_service.present_count(congress))
        db.session.remove()
    if len(hall.tokens) < phones:
        raise RuntimeError(f"the demo congress has {len(hall.tokens)} official delegates, "
                           f"not {phones}")
    return hall


def stored_tally(app: Flask, vote_id: int) -> tuple[int, Counter, Counter]:
    """(the "voted" rows, the secret counters by choice, the result once closed) of the
    vote, from the database; closing it leaves the demo congress without an open vote."""
    from congress_app.extensions import db
    from congress_app.models import Vote
    from congress_app.services import votes as vote_service

    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        vote = db.session.get(Vote, vote_id)
        ballots = vote_service.ballots_cast(vote)
        tally = Counter({str(k): v for k, v in vote_service.tally(vote).items()})
        vote_service.close_vote(vote, None)
        result = vote_service.result(vote)
        closed = Counter({"for": result.for_count, "against": result.against_count,
                          "abstain": result.abstain_count})
        db.session.remove()
    return ballots, tally, closed


# The phones --------------------------------------------------------------------------------


@dataclass
class Taps:
    """What the voting phones measured; appended to by every phone's thread."""

    post_ms: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)
    acknowledged: int = 0
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _phone(port: int, hall: Hall, n: int, ready: threading.Barrier, taps: Taps) -> None:
    """Sign in with the card link, open the vote, wait for the others, tap once."""
    phone = Phone(port)
    try:
        phone.request("GET", f"/K/{hall.tokens[n]}")
        status, _, page = phone.request("GET", f"/vote/{hall.vote_id}")
        token, client_id = CSRF.search(page), CLIENT_ID.search(page)
        if status != 200 or token is None or client_id is None:
            raise RuntimeError(f"vote page: HTTP {status}")
        form = {"csrf_token": token[1], "client_id": client_id[1],
                "choice": CHOICES[n % len(CHOICES)]}
    except Exception as error:  # counted, not lost in the thread
        with taps.lock:
            taps.errors[f"before voting: {type(error).__name__} {error}"[:80]] += 1
        ready.abort()  # the others stop waiting for this phone
        return
    ready.wait()
    began = time.perf_counter()
    try:
        status = phone.request("POST", f"/vote/{hall.vote_id}", form)[0]
    except OSError as error:
        with taps.lock:
            taps.errors[f"vote: {type(error).__name__}"] += 1
        return
    now = time.perf_counter()
    with taps.lock:
        taps.post_ms.append((now - began) * 1000)
        taps.answered_at.append(now)
        if status == 302:
            taps.acknowledged += 1
        else:
            taps.errors[f"vote: HTTP {status}"] += 1


# The pollers -------------------------------------------------------------------------------


@dataclass
class Polls:
    """What the projectors and phones polling the live count measured."""

    latency_ms: list[float] = field(default_factory=list)
    ok: int = 0
    not_modified: int = 0
    errors: Counter = field(default_factory=Counter)
    seen: list[int] = field(default_factory=list)  # each poller's latest count
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latency_ms)


async def _poll_once(port: int, etag: str | None) -> tuple[int, str | None, bytes]:
    """One GET /stage.json on a fresh connection: (status, ETag, body)."""
    reader, writer = await asyncio.open_connection(load.HOST, port)
    try:
        head = (f"GET /stage.json HTTP/1.1\r\nHost: {load.HOST}:{port}\r\n"
                "Accept-Language: vi\r\nConnection: close\r\n"
                + (f"If-None-Match: {etag}\r\n" if etag else "") + "\r\n")
        writer.write(head.encode())
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    header, _, body = answer.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    tags = [line.split(":", 1)[1].strip() for line in lines[1:]
            if line.lower().startswith("etag:")]
    return status, (tags[0] if tags else etag), body


async def _poller(port: int, index: int, interval: float, stop: asyncio.Event,
                  polls: Polls, rng: random.Random) -> None:
    """Poll every interval ±20 % with the last ETag, keep the latest count seen."""
    etag: str | None = None
    await asyncio.sleep(rng.uniform(0, interval))
    while not stop.is_set():
        began = time.perf_counter()
        try:
            status, etag, body = await asyncio.wait_for(_poll_once(port, etag), TIMEOUT)
        except (OSError, TimeoutError, ValueError, IndexError) as error:
            polls.errors[type(error).__name__] += 1
        else:
            polls.latency_ms.append((time.perf_counter() - began) * 1000)
            if status == 200:
                polls.ok += 1
                found = VOTED.search(body)
                if found:
                    polls.seen[index] = max(polls.seen[index], int(found[1]))
            elif status == 304:
                polls.not_modified += 1
            else:
                polls.errors[f"HTTP {status}"] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval * rng.uniform(0.8, 1.2))


async def _poll_hall(port: int, pollers: int, interval: float, polls: Polls,
                     done: threading.Event, final: int, linger: float) -> None:
    """Every poller polls until the votes are in (`done`) and each has seen `final`, or
    `linger` seconds after that at most."""
    stop = asyncio.Event()
    polls.seen = [-1] * pollers
    began = time.perf_counter()
    tasks = [asyncio.create_task(_poller(port, i, interval, stop, polls,
                                         random.Random(7000 + i))) for i in range(pollers)]
    while not done.is_set():
        await asyncio.sleep(0.1)
    deadline = time.perf_counter() + linger
    while time.perf_counter() < deadline and min(polls.seen) < final:
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*tasks)
    polls.seconds = time.perf_counter() - began


def measure(report: Report, app: Flask, env: dict[str, str], *, phones: int = PHONES,
            pollers: int = POLLERS) -> None:
    """Start gunicorn, vote from `phones` phones while `pollers` poll the live count, check
    the tally in the database, stop gunicorn."""
    hall = prepare(app, phones)
    load._raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bench-votes-"))
    port = load.free_port()
    taps, polls = Taps(), Polls()
    interval = POLL_INTERVAL_MS / 1000
    try:
        with load.gunicorn(env, port, workdir):
            ready = threading.Barrier(phones + 1, timeout=120)
            threads = [threading.Thread(target=_phone, args=(port, hall, n, ready, taps),
                                        daemon=True) for n in range(phones)]
            for thread in threads:
                thread.start()
            voted = threading.Event()
            polling = threading.Thread(target=lambda: asyncio.run(_poll_hall(
                port, pollers, interval, polls, voted, phones, linger=3 * interval)),
                daemon=True)
            polling.start()
            time.sleep(interval)  # every poller has polled once before the votes come in
            # A phone that could not open the vote breaks the barrier: counted in its errors.
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.wait()
            released = time.perf_counter()
            for thread in threads:
                thread.join(4 * TIMEOUT)
            wall = (max(taps.answered_at) - released) if taps.answered_at else float("nan")
            voted.set()
            polling.join(6 * interval + 4 * TIMEOUT)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ballots, tally, closed = stored_tally(app, hall.vote_id)
    sent = Counter(CHOICES[n % len(CHOICES)] for n in range(phones))
    _add_figures(report, phones, pollers, hall, taps, polls, wall, ballots, tally, closed,
                 sent)
    for key in ("votes.phones.wall", "votes.phones.errors", "votes.phones.tally_off",
                "votes.live.stale", "votes.live.errors"):
        figure = report.figures[key]
        value = figure.samples[0] if figure.samples else figure.status
        print(f"  {figure.label}: {value:g} ({figure.note})" if figure.samples
              else f"  {figure.label}: {value} ({figure.note})", flush=True)


def _add_figures(report: Report, phones: int, pollers: int, hall: Hall, taps: Taps,
                 polls: Polls, wall: float, ballots: int, tally: Counter, closed: Counter,
                 sent: Counter) -> None:
    label = f"biểu quyết: {phones} phones tap at once"
    answered = [len(taps.post_ms)]
    kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(taps.errors.items())) or "none"
    report.add("votes.phones.wall", f"{label}: last answer after", "s",
               [wall] if taps.answered_at else [], target=Target("<=", WINDOW_SECONDS),
               note=f"{taps.acknowledged} acknowledged (302) of {phones}; gunicorn, "
                    f"{pollers} pollers meanwhile", answered=answered)
    report.add("votes.phones.errors", f"{label}: errors", "count",
               [sum(taps.errors.values())], target=Target("<=", 0), note=kinds)
    for percent in (50, 95, 99):
        report.add(f"votes.phones.post_p{percent}", f"{label}: POST vote p{percent}", "ms",
                   [nearest_rank(taps.post_ms, percent)] if taps.post_ms else [],
                   note=f"{len(taps.post_ms)} POSTs, from send to the 302 read"
                   if percent == 50 else "", answered=answered)
    choices = set(sent) | set(tally) | set(closed)
    off = abs(ballots - phones) + sum(abs(tally[c] - sent[c]) + abs(closed[c] - sent[c])
                                      for c in choices)
    report.add("votes.phones.tally_off", f"{label}: tally off in the database", "count",
               [off], target=Target("<=", 0),
               note=f"{ballots} voted rows, secret counters {dict(sorted(tally.items()))}, "
                    f"result once closed {dict(sorted(closed.items()))}, "
                    f"sent {dict(sorted(sent.items()))}")
    live = f"live count: {pollers} pollers of /stage.json"
    polled = [polls.requests]
    report.add("votes.live.rate", f"{live}: req/s", "req/s",
               [polls.requests / polls.seconds] if polls.seconds else [],
               note=f"each every {POLL_INTERVAL_MS / 1000:g} s ±20 % with its last ETag; "
                    f"{polls.not_modified} answered 304, {polls.ok} 200", answered=polled)
    for percent in (50, 99):
        report.add(f"votes.live.p{percent}", f"{live}: p{percent}", "ms",
                   [nearest_rank(polls.latency_ms, percent)] if polls.latency_ms else [],
                   answered=polled)
    report.add("votes.live.errors", f"{live}: errors", "count",
               [sum(polls.errors.values())], target=Target("<=", 0),
               note=", ".join(f"{k} ×{n}" for k, n in sorted(polls.errors.items())) or "none")
    stale = sum(1 for n in polls.seen if n != phones)
    report.add("votes.live.stale", f"{live}: never saw the final count", "count", [stale],
               target=Target("<=", 0),
               note=f"final {phones} / {hall.present} present; counts last seen: "
                    f"{dict(sorted(Counter(polls.seen).items()))}")


# Kill -9 while voting (in-process instance, werkzeug in a child) ---------------------------


def _app(database: Path, secret: str):
    from congress_app import create_app

    return create_app({"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                       "FILE_STORE": str(database.parent / "files"),
                       "CACHE_DIR": str(database.parent / "cache"), "RATELIMIT_ENABLED": False,
                       "CONGRESS_TIMEZONE": "Asia/Ho_Chi_Minh"})


def _instance(tmp: Path, phones: int, secret: str | None = None):
    """The app on a migrated SQLite file, a congress with `phones` delegates checked in and
    an open secret vote; (app, vote id, card tokens)."""
    from flask_migrate import upgrade

    from congress_app.extensions import db
    from congress_app.models import AgendaItem, Congress, CongressSession, Delegate
    from congress_app.services import attendance
    from congress_app.services import votes as vote_service
    from congress_app.services.delegates import card_token, issue_credentials

    app = _app(tmp / "bench.sqlite3", secret or secrets.token_hex(32))
    with app.app_context():
        upgrade()
        congress = Congress(slug="bench", title="Đại hội", organisation="Đảng bộ phường X",
                            starts_on=date(2025, 7, 22), ends_on=date(2025, 7, 22),
                            delegates_expected=phones)
        session = CongressSession(congress=congress, name="Phiên chính thức",
                                  date=date(2025, 7, 22), starts_at=clock(8, 0))
        session.items = [AgendaItem(position=1, title="Thông qua Nghị quyết")]
        db.session.add_all([congress, session])
        db.session.flush()
        delegates = [Delegate(congress_id=congress.id, number=n, full_name=f"Đại biểu {n}")
                     for n in range(1, phones + 1)]
        db.session.add_all(delegates)
        db.session.flush()
        for delegate in delegates:
            issue_credentials(delegate)
        db.session.commit()
        for delegate in delegates:
            attendance.check_in(delegate)
        vote = vote_service.create(congress, session.items[0], None,
                                   question="Thông qua Nghị quyết Đại hội", method="phones",
                                   secret=True)
        vote_service.open_vote(vote, None)
        tokens = [card_token(d) for d in delegates]
        vote_id = vote.id
        db.session.remove()
    return app, vote_id, tokens


def _serve(database: str, secret: str) -> None:
    """The child process of --kill: serve the instance, print the port, serve until killed."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, _app(Path(database), secret), threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


def kill_during_voting(phones: int = PHONES) -> dict:
    """Phones vote one after another in a few waves; the server is killed -9 midway."""
    import os
    import signal
    import subprocess
    import sys

    from sqlalchemy import func, select

    from congress_app.extensions import db
    from congress_app.models import Delegate, VoteBallot, VoteCount

    secret = secrets.token_hex(32)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        app, vote_id, tokens = _instance(Path(tmp), phones, secret)
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.vote_phones", "--serve", str(database), secret],
            stdout=subprocess.PIPE, text=True)
        port = int(child.stdout.readline())
        acknowledged: list[int] = []
        lock = threading.Lock()
        ready = threading.Barrier(phones + 1, timeout=120)

        def phone(number: int, token: str) -> None:
            device = Phone(port)
            try:
                device.request("GET", f"/K/{token}")
                _, _, page = device.request("GET", f"/vote/{vote_id}")
                form = {"csrf_token": CSRF.search(page).group(1),
                        "client_id": CLIENT_ID.search(page).group(1), "choice": "for"}
            except Exception:
                ready.abort()
                raise
            ready.wait()
            time.sleep((number % 40) * 0.1)  # waves over four seconds
            try:
                status = device.request("POST", f"/vote/{vote_id}", form)[0]
            except OSError:
                return  # the server died before answering: not acknowledged
            if status == 302:
                with lock:
                    acknowledged.append(number)

        threads = [threading.Thread(target=phone, args=(n, t))
                   for n, t in enumerate(tokens, start=1)]
        for thread in threads:
            thread.start()
        ready.wait()
        time.sleep(2.0)  # about half the waves have been sent
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        for thread in threads:
            thread.join(120)
        with app.app_context():
            db.engine.dispose()
            stored = set(db.session.scalars(
                select(Delegate.number).join(VoteBallot, VoteBallot.delegate_id == Delegate.id)
                .where(VoteBallot.vote_id == vote_id)))
            counted = db.session.scalar(select(func.sum(VoteCount.count))
                                        .where(VoteCount.vote_id == vote_id)) or 0
            db.session.remove()
    lost = sorted(set(acknowledged) - stored)
    return {"phones": phones, "acknowledged": len(acknowledged), "stored": len(stored),
            "counted": counted, "lost": lost, "consistent": counted == len(stored)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vote_phones",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_PHONES} phones, {QUICK_POLLERS} pollers")
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--serve", nargs=2, metavar=("DATABASE", "SECRET"))
    args = parser.parse_args(argv)
    if args.serve:
        _serve(*args.serve)
        return 0
    if args.kill:
        f = kill_during_voting(QUICK_PHONES if args.quick else PHONES)
        print(f"kill -9 while {f['phones']} phones voted: {f['acknowledged']} acknowledged, "
              f"{f['stored']} stored, counters {f['counted']}, lost {f['lost']}, "
              f"counters match the voted rows: {f['consistent']}")
        return 0 if not f["lost"] and f["consistent"] else 1
    from .instance import bench_app, throwaway_instance

    report = Report(quick=args.quick)
    with throwaway_instance() as instance:
        measure(report, bench_app(), instance.env,
                phones=QUICK_PHONES if args.quick else PHONES,
                pollers=QUICK_POLLERS if args.quick else POLLERS)
    print(report.table())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
