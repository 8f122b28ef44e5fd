"""The secretariat's triage page with 2,000 comments on the demo draft resolution: what one
GET /organiser/comments/ costs (time and bytes), signed in as an admin, and the
live counts' poll (counts.json) answered in full and with 304.

`python -m bench.comment_triage` runs it alone on a throw-away instance and prints the
figures; bench.run calls measure() after the compiled report, on the same 2,000 comments.
"""

from __future__ import annotations

import re
import secrets
import time

from flask import Flask

from .instance import PUBLIC_BASE_URL
from .report import Report

PATH = "/organiser/comments/"
USERNAME = "bench-thuky"


def _signed_in(app: Flask):
    """A test client signed in through the login form as an admin of the bench's own (the
    demo password is refused: the bench's public address is not this computer)."""
    from congress_app.services import users

    password = secrets.token_urlsafe(16)
    with app.app_context():
        if users.by_username(USERNAME) is None:
            users.create_user(USERNAME, password, role="admin")
        else:
            users.change_password(users.by_username(USERNAME), password)
    client = app.test_client()
    client.set_cookie("lang", "en", domain="daihoi.example.vn")
    page = client.get("/login", base_url=PUBLIC_BASE_URL).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url=PUBLIC_BASE_URL,
                           headers={"Referer": f"{PUBLIC_BASE_URL}/login"},
                           data={"username": USERNAME, "password": password,
                                 "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"the demo organiser could not sign in ({response.status_code}): "
                           f"{response.get_data(as_text=True)[:800]}")
    return client


def _get(client, path: str, headers: dict | None = None) -> tuple[float, int, int]:
    start = time.perf_counter()
    response = client.get(path, base_url=PUBLIC_BASE_URL, headers=headers)
    body = response.get_data()
    return (time.perf_counter() - start) * 1000, len(body), response.status_code


def measure(report: Report, app: Flask, runs: int) -> None:
    """The triage page's first page, and the counts' poll, `runs` times each after a warm-up;
    the comments must already be written (bench.comments_report)."""
    client = _signed_in(app)
    _get(client, PATH)  # templates compiled
    samples, size = [], 0
    for _ in range(runs):
        elapsed, size, status = _get(client, PATH)
        if status != 200:
            raise RuntimeError(f"{PATH} answered {status}")
        samples.append(elapsed)
    report.add("comments.triage_page", "triage page (first page): one request", "ms",
               samples, note="signed in, Flask's test client")
    report.add("comments.triage_page_size", "triage page (first page): size", "bytes",
               [size])
    counts = app.url_map.bind("x").build("comment_triage.counts") \
        if "comment_triage.counts" in app.view_functions else None
    if counts is None:
        return
    response = client.get(counts, base_url=PUBLIC_BASE_URL)
    etag = response.headers["ETag"]
    for label, headers in (("200", None), ("304", {"If-None-Match": etag})):
        samples = [_get(client, counts, headers)[0] for _ in range(runs * 5)]
        report.add(f"comments.triage_counts_{label}", f"triage counts.json {label}", "ms",
                   samples, note=f"{len(response.data):,} bytes in full")


def main() -> None:
    """Alone: a throw-away instance, 2,000 comments, the figures printed."""
    from . import comments_report
    from .instance import bench_app, throwaway_instance

    report = Report(quick=False)
    with throwaway_instance():
        app = bench_app()
        with app.test_request_context(base_url=PUBLIC_BASE_URL):
            from congress_app.services import congress as congress_service

            comments_report._write_comments(congress_service.first_congress(),
                                            comments_report.COMMENTS)
        measure(report, app, runs=5)
    print(report.table())


if __name__ == "__main__":
    main()
