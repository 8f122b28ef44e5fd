"""What one request costs the app itself, without a server or a network: Flask's test
client, one request at a time. Under load these set the ceiling of each worker, and they
stay comparable when the machine is too busy for the load figures to mean much."""

from __future__ import annotations

import time

from flask import Flask

from .instance import PUBLIC_BASE_URL
from .report import Report


def _samples(client, path: str, count: int, headers: dict | None = None,
             expect: int = 200) -> list[float]:
    for _ in range(3):  # warm-up: templates compiled, sizes of the pages cached
        client.get(path, headers=headers, base_url=PUBLIC_BASE_URL)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path, headers=headers, base_url=PUBLIC_BASE_URL)
        response.get_data()
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != expect:
            raise RuntimeError(f"{path} answered {response.status_code}, not {expect}")
    return samples


def _stage_etag(client) -> str:
    return client.get("/stage.json", base_url=PUBLIC_BASE_URL).headers["ETag"]


def measure(report: Report, app: Flask, code: str, count: int) -> None:
    """The landing page, the file, and /stage.json answered in full and with 304."""
    client = app.test_client()
    cases = (
        ("landing", f"QR landing page /d/{code}: one request", f"/d/{code}", 200),
        ("file", "file download: one request", f"/d/{code}/file", 200),
        ("stage_304", "/stage.json 304: one request", "/stage.json", 304),
        ("stage_200", "/stage.json 200: one request", "/stage.json", 200),
    )
    for key, label, path, expect in cases:
        for attempt in (1, 2):
            headers = {"If-None-Match": _stage_etag(client)} if expect == 304 else None
            try:
                samples = _samples(client, path, count, headers, expect)
                break
            except RuntimeError:
                # The stage's ETag turns over each minute: once, that is expected.
                if expect != 304 or attempt == 2:
                    raise
        report.add(f"request.{key}", label, "ms", samples, show_p95=True,
                   note=f"{count} requests through Flask's test client, in-process")
