"""A kill -9 of the server during a secret phone vote loses no vote that was acknowledged.

The real server (`flask serve`, waitress, in its own process) serves the test's database;
phones sign in with the number and PIN printed on their cards, open the vote and tap, in
waves. Once a third of the ballots have been answered the server gets SIGKILL; it is
started again and the phones that were cut off tap again. Then the stored rows decide:
every ballot a phone was told about (its 302) is there, each phone counted once, and the
secret counters add up to the "voted" rows (the tally recomputed from what is stored).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from congress_app.extensions import db
from congress_app.services import attendance
from congress_app.services.delegates import card_pin

from .conftest import add_delegates, only_on_sqlite
from .test_faults import Instance
from .threads import join_all

pytestmark = only_on_sqlite("the server under test reads the test's SQLite file")

PHONES = 24
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLIENT_ID = re.compile(r'name="client_id"[^>]*value="([^"]+)"')


class Phone:
    """One delegate's phone: its own cookies, a new connection per request (as after a
    Wi-Fi hiccup), the server's port read afresh so it follows a restart."""

    def __init__(self, server: Instance) -> None:
        self.server, self.cookies = server, {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Accept-Language": "vi"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.msg.get_all("Set-Cookie") or ():
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()

    def sign_in_with_pin(self, number: int, pin: str) -> None:
        _, page = self.request("GET", "/delegate/sign-in")
        status, _ = self.request("POST", "/delegate/sign-in", {
            "csrf_token": CSRF.search(page).group(1), "number": str(number), "pin": pin})
        assert status == 302, status


@pytest.fixture
def served(app, tmp_path, congress) -> Iterator[tuple[Instance, int, list]]:
    """The test's database served by `flask serve` in a child process; PHONES official
    delegates checked in and an open secret vote: (server, vote id, [(number, PIN)])."""
    from congress_app.services import votes as vote_service

    # A real server refuses the tests' short key; the cards' PINs derive from this one.
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    delegates = add_delegates(congress, PHONES)
    for delegate in delegates:
        attendance.check_in(delegate)
    vote = vote_service.create(congress, congress.sessions[0].items[0], None,
                               question="Thông qua Chương trình làm việc", method="phones",
                               secret=True)
    vote_service.open_vote(vote, None)
    cards = [(d.number, card_pin(d)) for d in delegates]
    vote_id = vote.id
    db.session.remove()
    server = Instance(tmp_path / "served", {
        **os.environ, "FLASK_APP": "congress_app",
        "CONGRESS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CONGRESS_FILE_STORE": app.config["FILE_STORE"],
        "CONGRESS_CACHE_DIR": app.config["CACHE_DIR"],
        "CONGRESS_SECRET_KEY": app.config["SECRET_KEY"],
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    server.root.mkdir()
    server.start()
    yield server, vote_id, cards
    if server.process is not None:
        server.kill()


def _stored(database: Path, vote_id: int) -> tuple[set[int], int, int]:
    """(the delegate numbers with a "voted" row, how many such rows, the counters' sum),
    read with raw SQL from the file the killed server wrote."""
    with sqlite3.connect(database) as connection:
        numbers = [row[0] for row in connection.execute(
            "SELECT d.number FROM vote_ballots b JOIN delegates d ON d.id = b.delegate_id "
            "WHERE b.vote_id = ?", (vote_id,))]
        counted = connection.execute(
            "SELECT COALESCE(SUM(count), 0) FROM vote_counts WHERE vote_id = ?",
            (vote_id,)).fetchone()[0]
    return set(numbers), len(numbers), counted


def test_a_server_killed_during_a_secret_vote_keeps_every_acknowledged_ballot(app, served):
    server, vote_id, cards = served
    database = Path(urllib.parse.urlsplit(app.config["SQLALCHEMY_DATABASE_URI"]).path)
    phones = {number: Phone(server) for number, _ in cards}
    forms: dict[int, dict] = {}
    for number, pin in cards:
        phones[number].sign_in_with_pin(number, pin)
        status, page = phones[number].request("GET", f"/vote/{vote_id}")
        assert status == 200 and "Tán thành" in page
        forms[number] = {"csrf_token": CSRF.search(page).group(1),
                         "client_id": CLIENT_ID.search(page).group(1),
                         "choice": ("for", "against", "abstain")[number % 3]}

    acknowledged: set[int] = set()
    answered = threading.Condition()
    go = threading.Event()

    def tap(number: int) -> None:
        go.wait(10)
        time.sleep((number % 8) * 0.1)  # eight waves, 100 ms apart
        try:
            status, _ = phones[number].request("POST", f"/vote/{vote_id}", forms[number])
        except OSError:
            return  # cut off before the answer: not acknowledged
        with answered:
            if status == 302:
                acknowledged.add(number)
            answered.notify_all()

    threads = [threading.Thread(target=tap, args=(n,), name=f"phone {n}") for n in phones]
    for thread in threads:
        thread.start()
    go.set()
    with answered:
        assert answered.wait_for(lambda: len(acknowledged) >= PHONES // 3, timeout=15)
    server.kill()
    join_all(threads, 35)
    before_restart = set(acknowledged)
    assert 0 < len(before_restart) < PHONES, "the kill came after every phone had voted"

    stored, rows, counted = _stored(database, vote_id)
    assert before_restart <= stored, f"acknowledged but lost: {before_restart - stored}"
    assert counted == rows == len(stored)
    print(f"killed with {len(before_restart)} of {PHONES} ballots acknowledged, "
          f"{rows} stored, counters {counted}")

    # Back up: the phones that heard nothing tap again with the same form; each counts once.
    server.start()
    for number in sorted(set(phones) - before_restart):
        status, _ = phones[number].request("POST", f"/vote/{vote_id}", forms[number])
        assert status == 302, (number, status)
    stored, rows, counted = _stored(database, vote_id)
    assert stored == set(phones) and rows == counted == PHONES
    status, page = phones[1].request("GET", f"/vote/{vote_id}")
    assert status == 200 and "ballot-done" in page and "ballot-buttons" not in page

    # The tally recomputed from the stored rows is the one the closed vote announces.
    from congress_app.models import Vote
    from congress_app.services import votes as vote_service

    db.session.remove()
    vote = db.session.get(Vote, vote_id)
    vote_service.close_vote(vote, None)
    expected = {c: sum(1 for f in forms.values() if f["choice"] == c)
                for c in ("for", "against", "abstain")}
    assert {str(k): v for k, v in vote_service.tally(vote).items()} == expected
    assert (vote.for_count, vote.against_count, vote.abstain_count) == (
        expected["for"], expected["against"], expected["abstain"])
