"""Search latency over every demo document: the service call, and the whole request
through the app (routing, the template, the response) with Flask's test client."""

from __future__ import annotations

import time

from flask import Flask
from flask_login import AnonymousUserMixin

from congress_app.services import congress as congress_service
from congress_app.services import search as search_service

from .instance import PUBLIC_BASE_URL
from .report import Report

# What delegates type: with diacritics, and the same words without (phones without a
# Vietnamese keyboard, or typing fast).
QUERIES = (
    "báo cáo chính trị", "bao cao chinh tri",
    "nghị quyết", "nghi quyet",
    "chuyển đổi số", "chuyen doi so",
    "Đảng bộ phường", "dang bo phuong",
    "an sinh xã hội", "an sinh xa hoi",
    "quy chế làm việc", "quy che lam viec",
    "kiểm điểm", "kiem diem",
    "nhân sự", "nhan su",
    "giáo dục", "giao duc",
    "chỉnh trang đô thị", "chinh trang do thi",
)


def _timed_ms(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def measure(report: Report, app: Flask, rounds: int) -> None:
    """Every query `rounds` times each way (after one untimed warm-up round)."""
    anonymous = AnonymousUserMixin()
    service, http, hits = [], [], 0
    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = congress_service.first_congress()
        for q in QUERIES:
            hits += bool(search_service.search(congress, q, anonymous).hits)
        for _ in range(rounds):
            for q in QUERIES:
                service.append(_timed_ms(lambda q=q: search_service.search(congress, q,
                                                                           anonymous)))
    client = app.test_client()
    for q in QUERIES:
        client.get("/search", query_string={"q": q}, base_url=PUBLIC_BASE_URL)
    for _ in range(rounds):
        for q in QUERIES:
            def request(q=q) -> None:
                response = client.get("/search", query_string={"q": q}, base_url=PUBLIC_BASE_URL)
                if response.status_code != 200:
                    raise RuntimeError(f"/search?q={q} answered {response.status_code}")
            http.append(_timed_ms(request))
    note = f"{len(QUERIES)} queries ({hits} with hits) × {rounds}"
    report.add("search.service", "search: service call", "ms", service, note=note, show_p95=True)
    report.add("search.request", "search: request via test client", "ms", http, note=note,
               show_p95=True)
