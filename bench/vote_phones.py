"""Biểu quyết from the hall: 168 official delegates' phones, each signed in with its card
link, open the vote page and tap a button in the same second (a barrier releases them
together). Afterwards the database must hold exactly one ballot per phone and the secret
counters must add up to them: none lost, none doubled.

This part runs on its own, in-process: a throw-away SQLite instance built by the real
migrations, served by werkzeug's threaded server on a loopback port (not gunicorn: the
figures are the app's and the database's, not the production server's), the phones being
threads speaking plain HTTP (http.client), each with its own cookies.

`python -m bench.vote_phones [--phones N]` prints the wall time, p50/p95/p99 of the taps
and the tally. `--kill` serves the app in a child process instead and kills it (SIGKILL)
while the phones are voting: every ballot a phone was told about (its 302) must be in the
database afterwards, and the secret counters must still add up to the "voted" rows.
"""

from __future__ import annotations

import argparse
import http.client
import re
import secrets
import statistics
import tempfile
import threading
import time
import urllib.parse
from datetime import date
from datetime import time as clock
from pathlib import Path

PHONES = 168
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLIENT_ID = re.compile(r'name="client_id"[^>]*value="([^"]+)"')


class Phone:
    """One phone: its cookies, a fresh connection per request."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Accept-Language": "vi"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read().decode("utf-8", "replace")
            for header in response.msg.get_all("Set-Cookie") or ():
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, data
        finally:
            connection.close()


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


def measure(phones: int = PHONES) -> dict:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    from congress_app.extensions import db
    from congress_app.models import Vote
    from congress_app.services import votes as vote_service

    with tempfile.TemporaryDirectory() as tmp:
        app, vote_id, tokens = _instance(Path(tmp), phones)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        start = threading.Barrier(phones + 1, timeout=120)
        taps: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def phone(n: int, token: str) -> None:
            device = Phone(server.server_port)
            try:
                device.request("GET", f"/K/{token}")
                status, page = device.request("GET", f"/vote/{vote_id}")
                form = {"csrf_token": CSRF.search(page).group(1),
                        "client_id": CLIENT_ID.search(page).group(1),
                        "choice": ("for", "for", "against", "abstain")[n % 4]}
                start.wait()
                began = time.perf_counter()
                status, _ = device.request("POST", f"/vote/{vote_id}", form)
                took = time.perf_counter() - began
                with lock:
                    taps.append(took)
                    if status != 302:
                        errors.append(str(status))
            except Exception as error:  # counted, not lost in the thread
                with lock:
                    errors.append(type(error).__name__)
                start.abort()  # the others stop waiting for this phone

        threads = [threading.Thread(target=phone, args=(n, t)) for n, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join(120)
        wall = time.perf_counter() - began
        server.shutdown()
        with app.app_context():
            vote = db.session.get(Vote, vote_id)
            ballots = vote_service.ballots_cast(vote)
            tally = {str(k): v for k, v in vote_service.tally(vote).items()}
            db.session.remove()
    taps.sort()

    def pct(p: float) -> float:
        return taps[min(len(taps) - 1, int(p * len(taps)))] * 1000 if taps else 0.0

    return {"phones": phones, "wall_s": round(wall, 2), "errors": len(errors),
            "error_kinds": sorted(set(errors)), "ballots": ballots, "tally": tally,
            "exact": ballots == phones and sum(tally.values()) == phones,
            "p50_ms": round(statistics.median(taps) * 1000, 1) if taps else 0.0,
            "p95_ms": round(pct(0.95), 1), "p99_ms": round(pct(0.99), 1)}


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
                _, page = device.request("GET", f"/vote/{vote_id}")
                form = {"csrf_token": CSRF.search(page).group(1),
                        "client_id": CLIENT_ID.search(page).group(1), "choice": "for"}
            except Exception:
                ready.abort()
                raise
            ready.wait()
            time.sleep((number % 40) * 0.1)  # waves over four seconds
            try:
                status, _ = device.request("POST", f"/vote/{vote_id}", form)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=PHONES)
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--serve", nargs=2, metavar=("DATABASE", "SECRET"))
    args = parser.parse_args()
    if args.serve:
        _serve(*args.serve)
        return
    if args.kill:
        f = kill_during_voting(args.phones)
        print(f"kill -9 while {f['phones']} phones voted: {f['acknowledged']} acknowledged, "
              f"{f['stored']} stored, counters {f['counted']}, lost {f['lost']}, "
              f"counters match the voted rows: {f['consistent']}")
        return
    figures = measure(args.phones)
    print(f"{figures['phones']} phones voted in {figures['wall_s']} s: "
          f"{figures['ballots']} ballots, tally {figures['tally']}, exact: {figures['exact']}, "
          f"errors: {figures['errors']} {figures['error_kinds']}; taps p50 "
          f"{figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")


if __name__ == "__main__":
    main()
