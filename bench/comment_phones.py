"""Góp ý from the hall: every official delegate's phone signs in with the card's number and
PIN, reads the draft in text mode, opens the comment form and posts one comment, the posts
spread at random over one minute, while the phones that have posted (or not yet) keep reading.

The phones are threads speaking plain HTTP (http.client) to gunicorn with the production
settings (rate limits counted in Redis), each with its own cookies, sending Origin as a
browser does. All come from 127.0.0.1: a real hall is one Wi-Fi behind one NAT address,
which is what the sign-in limits see (web/sign_in_limits.py). Afterwards the database must
hold exactly one comment per phone: none lost, none doubled.

Then the hall's shared address is put to the test the limits were built for: wrong PINs
from fresh phones of the same address until the app pauses, and one correct PIN after that.

`python -m bench.comment_phones [--quick]` runs this part alone on a throw-away instance.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import io
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask

from . import load
from .instance import PUBLIC_BASE_URL
from .report import Report, Target

PHONES = 168  # the demo congress's official delegates, as in a ward congress
WINDOW_SECONDS = 60
QUICK_PHONES = 40
QUICK_WINDOW_SECONDS = 15
TIMEOUT = 30  # a phone on the hall's Wi-Fi waits this long before it gives up
DRAFT_TITLE = "Dự thảo Nghị quyết Đại hội (bản lấy ý kiến đại biểu)"
SECTIONS = {
    "I. KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT NHIỆM KỲ 2020–2025": [
        "Đảng bộ phường đã lãnh đạo thực hiện thắng lợi các chỉ tiêu chủ yếu của nhiệm kỳ; "
        "kinh tế tăng trưởng khá, thu ngân sách vượt dự toán, đời sống nhân dân được nâng lên.",
        "Công tác xây dựng Đảng được chú trọng; chất lượng sinh hoạt chi bộ được nâng lên, "
        "gắn với nhiệm vụ chính trị của từng chi bộ khu dân cư.",
        "Quốc phòng, an ninh được giữ vững; trật tự an toàn xã hội được bảo đảm; không để "
        "xảy ra điểm nóng trên địa bàn phường.",
    ],
    "II. MỤC TIÊU, NHIỆM VỤ NHIỆM KỲ 2025–2030": [
        "Phát triển kinh tế số, đô thị thông minh và chuyển đổi số toàn diện trong quản lý "
        "nhà nước ở phường; 100 % thủ tục hành chính được giải quyết trực tuyến.",
        "Nâng cao chất lượng giáo dục, y tế; chăm lo đời sống người có công, hộ nghèo và "
        "người cao tuổi; giữ vững danh hiệu phường văn hóa.",
        "Chỉnh trang đô thị, cải tạo hạ tầng giao thông, thoát nước và cây xanh; xử lý dứt "
        "điểm các điểm ngập úng trên địa bàn.",
    ],
    "III. GIẢI PHÁP THỰC HIỆN": [
        "Đổi mới phương thức lãnh đạo của Đảng bộ; phát huy vai trò nêu gương của cán bộ, "
        "đảng viên, trước hết là người đứng đầu.",
        "Tăng cường kiểm tra, giám sát; kịp thời phát hiện, xử lý vi phạm; siết chặt kỷ "
        "luật, kỷ cương hành chính.",
    ],
}
STANCES = ("agree", "disagree", "partly")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLIENT_ID = re.compile(r'name="client_id"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Hall:
    """What the phones need: the draft's code, its § numbers, each card (number, PIN), and
    one card's QR token (to see whether scanning still works once PINs are paused)."""

    code: str
    document_id: int
    paragraphs: list[int]
    cards: list[tuple[int, str]]
    last_token: str


def _draft_markdown() -> str:
    return "\n\n".join(f"## {heading}\n\n" + "\n\n".join(texts)
                       for heading, texts in SECTIONS.items())


def prepare(app: Flask) -> Hall:
    """A public draft of its own (so its comments can be counted exactly), open for comments
    per paragraph for a day, and the official delegates' cards."""
    from sqlalchemy import select

    from congress_app.extensions import db
    from congress_app.models import Delegate, DelegateKind, utcnow
    from congress_app.pdf.documents import render_markdown_document
    from congress_app.services import comments as comment_service
    from congress_app.services import congress as congress_service
    from congress_app.services import intake, paragraphs
    from congress_app.services.delegates import card_pin, card_token

    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = congress_service.first_congress()
        pdf = render_markdown_document(_draft_markdown(), DRAFT_TITLE)
        draft = intake.create_document(
            congress, title=DRAFT_TITLE, category="draft_resolution",
            upload=intake.Upload(io.BytesIO(pdf), "Du-thao-nghi-quyet-lay-y-kien.pdf"))
        comment_service.open_window(congress, draft, opens_at=None,
                                    closes_at=utcnow() + timedelta(days=1), scope="paragraphs")
        numbered = [p.number for p in paragraphs.paragraphs(draft.current_version)]
        delegates = db.session.scalars(select(Delegate).where(
            Delegate.congress_id == congress.id, Delegate.kind == DelegateKind.OFFICIAL,
            Delegate.active.is_(True)).order_by(Delegate.number))
        delegates = list(delegates)
        cards = [(d.number, card_pin(d)) for d in delegates]
        hall = Hall(draft.code, draft.id, numbered, cards,
                    card_token(delegates[-1]) if delegates else "")
        db.session.remove()
    if not hall.paragraphs or not hall.cards:
        raise RuntimeError("the draft has no numbered paragraph or the congress no delegate")
    return hall


def stored_comments(app: Flask, document_id: int) -> Counter:
    """How many comments each delegate (by number) has on the draft, read from the database."""
    from sqlalchemy import select

    from congress_app.extensions import db
    from congress_app.models import Comment, Delegate

    with app.app_context():
        numbers = db.session.scalars(
            select(Delegate.number).join(Comment, Comment.author_id == Delegate.id)
            .where(Comment.document_id == document_id))
        counted = Counter(numbers)
        db.session.remove()
    return counted


class Phone:
    """One delegate's phone: its own cookies, a fresh connection per request (a phone on a
    busy Wi-Fi), the Origin header a browser sends with a form."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"http://{load.HOST}:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        """(status, Location, body) of one request, cookies kept."""
        headers = {"Accept-Language": "vi", "User-Agent": "bench-phone"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        connection = http.client.HTTPConnection(load.HOST, self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for header in response.msg.get_all("Set-Cookie") or ():
                jar = http.cookies.SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, response.getheader("Location", ""), data.decode(
                "utf-8", "replace")
        finally:
            connection.close()


@dataclass
class Results:
    """What the hall measured; appended to by every phone's thread."""

    post_ms: list[float] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    sign_in_ms: list[float] = field(default_factory=list)
    posted: int = 0
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


class Failed(Exception):
    """A step of a phone's journey got an answer it should not have: the phone stops."""


def _timed(results: Results, samples: list[float], phone: Phone, step: str, method: str,
           path: str, form: dict | None = None, expect: int = 200):
    start = time.perf_counter()
    try:
        status, location, body = phone.request(method, path, form)
    except (OSError, http.client.HTTPException) as error:
        results.error(f"{step}: {type(error).__name__}")
        raise Failed from error
    elapsed = (time.perf_counter() - start) * 1000
    with results.lock:
        samples.append(elapsed)
    if status != expect:
        results.error(f"{step}: HTTP {status}")
        raise Failed
    return location, body


def _read(results: Results, phone: Phone, code: str, rng: random.Random) -> str:
    """One page of the draft in text mode (a random window of it, as a reader scrolls)."""
    page = rng.choice(("", "&page=2")) if rng.random() < 0.3 else ""
    return _timed(results, results.read_ms, phone, "read", "GET",
                  f"/d/{code}?mode=text{page}")[1]


def phone_journey(port: int, hall: Hall, card: tuple[int, str], n: int, began: float,
                  window: float, results: Results, seed: int) -> None:
    """Sign in, read, comment once at a random moment of the window, keep reading until the
    window ends."""
    rng = random.Random(seed)
    number, pin = card
    phone = Phone(port)
    arrive = rng.uniform(0, window * 0.4)
    post_at = rng.uniform(arrive + 3, window - 2)
    time.sleep(max(0.0, began + arrive - time.monotonic()))
    try:
        _, page = _timed(results, results.read_ms, phone, "sign-in page", "GET",
                         f"/delegate/sign-in?next=/d/{hall.code}")
        token = CSRF.search(page)
        if token is None:
            results.error("sign-in page: no CSRF token")
            return
        location, _ = _timed(results, results.sign_in_ms, phone, "sign-in", "POST",
                             "/delegate/sign-in",
                             {"number": str(number), "pin": pin, "csrf_token": token[1],
                              "next": f"/d/{hall.code}"}, expect=302)
        text = _read(results, phone, hall.code, rng)
        while time.monotonic() < began + post_at:
            time.sleep(rng.uniform(2, 4))
            text = _read(results, phone, hall.code, rng)
        links = [int(x) for x in re.findall(rf"/d/{hall.code}/comment/(\d+)", text)]
        paragraph = rng.choice(links or hall.paragraphs)
        _, form_page = _timed(results, results.read_ms, phone, "comment form", "GET",
                              f"/d/{hall.code}/comment/{paragraph}")
        token, client_id = CSRF.search(form_page), CLIENT_ID.search(form_page)
        if token is None or client_id is None:
            results.error("comment form: no CSRF token or client id")
            return
        stance = STANCES[n % 3]
        _timed(results, results.post_ms, phone, "comment", "POST",
               f"/d/{hall.code}/comment/{paragraph}",
               {"csrf_token": token[1], "client_id": client_id[1], "stance": stance,
                "text": f"Ý kiến của đại biểu số {number}: đề nghị làm rõ nội dung "
                        f"của § {paragraph}, bổ sung chỉ tiêu cụ thể.",
                "proposed_wording": "" if n % 4 else f"Bổ sung: chỉ tiêu cụ thể cho § "
                                                     f"{paragraph}."},
               expect=302)
        with results.lock:
            results.posted += 1
        _read(results, phone, hall.code, rng)
        while time.monotonic() < began + window:
            time.sleep(rng.uniform(2, 4))
            _read(results, phone, hall.code, rng)
    except Failed:
        return


def nearest_rank(samples: list[float], percent: int) -> float:
    ordered = sorted(samples)
    return ordered[max(0, -(-percent * len(ordered) // 100) - 1)]


def _wrong_pins_until_paused(port: int, hall: Hall, limit: int = 200
                             ) -> tuple[int, int, int]:
    """Fresh phones of the hall's address type a wrong PIN, each for another delegate, until
    the app pauses: (wrong PINs answered as wrong, the status a correct PIN from another
    phone then gets, the status of that phone scanning its card's QR code instead)."""
    wrong = 0
    for n in range(limit):
        number, pin = hall.cards[n % len(hall.cards)]
        phone = Phone(port)
        page = phone.request("GET", "/delegate/sign-in")[2]
        token = CSRF.search(page)
        bad = f"{(int(pin) + 1) % 1_000_000:06d}"
        status = phone.request("POST", "/delegate/sign-in",
                               {"number": str(number), "pin": bad,
                                "csrf_token": token[1] if token else ""})[0]
        if status != 401:
            break
        wrong += 1
    number, pin = hall.cards[-1]
    phone = Phone(port)
    token = CSRF.search(phone.request("GET", "/delegate/sign-in")[2])
    status = phone.request("POST", "/delegate/sign-in",
                           {"number": str(number), "pin": pin,
                            "csrf_token": token[1] if token else ""})[0]
    scanned = Phone(port).request("GET", f"/K/{hall.last_token}")[0]
    return wrong, status, scanned


def measure(report: Report, app: Flask, env: dict[str, str], *, phones: int = PHONES,
            window: float = WINDOW_SECONDS) -> None:
    """Start gunicorn, run the hall, count the comments in the database, stop gunicorn."""
    hall = prepare(app)
    cards = hall.cards[:phones]
    load._raise_file_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bench-phones-"))
    port = load.free_port()
    results = Results()
    try:
        with load.gunicorn(env, port, workdir):
            warm = Phone(port)  # templates compiled, the draft's text laid out once
            warm.request("GET", f"/d/{hall.code}?mode=text")
            load_before = os.getloadavg()[0]
            began = time.monotonic() + 0.5
            threads = [threading.Thread(
                target=phone_journey,
                args=(port, hall, card, n, began, window, results, 1000 + n), daemon=True)
                for n, card in enumerate(cards)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(window + 4 * TIMEOUT)
            took = time.monotonic() - began
            busy = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
            wrong, after, scanned = _wrong_pins_until_paused(port, hall)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _add_figures(report, results, stored_comments(app, hall.document_id), cards, window,
                 f"ran {took:.0f} s, {busy}", wrong, after, scanned)
    for key in ("comment_phones.posted", "comment_phones.errors", "comment_phones.lost_or_doubled",
                "comment_phones.nat_wrong_pins"):
        figure = report.figures[key]
        print(f"  {figure.label}: {figure.samples[0]:g} ({figure.note})", flush=True)


def _add_figures(report: Report, results: Results, stored: Counter,
                 cards: list[tuple[int, str]], window: float, ran: str, wrong: int,
                 after: int, scanned: int) -> None:
    phones = len(cards)
    label = f"góp ý: {phones} phones post within {window:g} s"
    answered = [results.posted]
    kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(results.errors.items())) or "none"
    report.add("comment_phones.posted", f"{label}: comments posted", "count",
               [results.posted], target=Target(">=", phones),
               note=f"each signs in with number + PIN, reads, comments once; {ran}")
    report.add("comment_phones.errors", f"{label}: errors", "count",
               [sum(results.errors.values())], target=Target("<=", 0), note=kinds)
    report.details["comment_phones.errors"] = dict(results.errors)
    for percent in (50, 95, 99):
        report.add(f"comment_phones.post_p{percent}", f"{label}: POST comment p{percent}", "ms",
                   [nearest_rank(results.post_ms, percent)] if results.post_ms else [],
                   note=f"{len(results.post_ms)} POSTs, from send to the 302 read"
                   if percent == 50 else "", answered=answered)
    report.add("comment_phones.sign_in_p99", f"{label}: POST sign-in p99", "ms",
               [nearest_rank(results.sign_in_ms, 99)] if results.sign_in_ms else [],
               note=f"{len(results.sign_in_ms)} sign-ins, median "
                    f"{statistics.median(results.sign_in_ms):.0f} ms" if results.sign_in_ms
               else "", answered=[len(results.sign_in_ms)])
    report.add("comment_phones.read_p99", f"{label}: reading (GET) p99", "ms",
               [nearest_rank(results.read_ms, 99)] if results.read_ms else [],
               note=f"{len(results.read_ms)} GETs (text mode, sign-in page, form), median "
                    f"{statistics.median(results.read_ms):.0f} ms" if results.read_ms else "",
               answered=[len(results.read_ms)])
    numbers = {number for number, _ in cards}
    lost = len(numbers - set(stored))
    doubled = sum(n - 1 for n in stored.values() if n > 1)
    strangers = sum(n for number, n in stored.items() if number not in numbers)
    report.add("comment_phones.lost_or_doubled", f"{label}: lost or doubled in the database",
               "count", [lost + doubled + strangers], target=Target("<=", 0),
               note=f"{sum(stored.values())} comments stored for {phones} phones: {lost} lost, "
                    f"{doubled} doubled, {strangers} from no phone of the run")
    report.add("comment_phones.nat_wrong_pins", "hall behind one address: wrong PINs until the "
               "sign-in pauses", "count", [wrong],
               note=f"then a correct PIN from another phone of the hall: HTTP {after}"
               + (" (PIN sign-in paused for the whole hall)" if after == 429 else "")
               + f"; its card's QR link: HTTP {scanned}"
               + (" (scanning still signs in)" if scanned == 302 else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.comment_phones",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_PHONES} phones within {QUICK_WINDOW_SECONDS} s")
    args = parser.parse_args(argv)
    from .instance import bench_app, throwaway_instance

    report = Report(quick=args.quick)
    with throwaway_instance() as instance:
        measure(report, bench_app(), instance.env,
                phones=QUICK_PHONES if args.quick else PHONES,
                window=QUICK_WINDOW_SECONDS if args.quick else WINDOW_SECONDS)
    print(report.table())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
