"""QR codes per code: cold (payloads never seen, rendered and written to the cache) and
cached (congress_app.qr.qr_image finding the file), in ms per code."""

from __future__ import annotations

import secrets
import tempfile
import time

from congress_app import qr

from .instance import PUBLIC_BASE_URL
from .report import Report


def _per_code_ms(payloads: list[str], fmt: str, cache_dir: str) -> float:
    start = time.perf_counter()
    for payload in payloads:
        qr.qr_image(payload, fmt, cache_dir)
    return (time.perf_counter() - start) * 1000 / len(payloads)


def measure(report: Report, runs: int, codes: int) -> None:
    """Each run: `codes` new document codes, first rendered (cold), then looked up (cached)."""
    for fmt in ("svg", "png"):
        cold, cached = [], []
        for _ in range(runs):
            payloads = [qr.qr_payload(PUBLIC_BASE_URL, secrets.token_hex(3).upper())
                        for _ in range(codes)]
            with tempfile.TemporaryDirectory(prefix="bench-qr-") as cache_dir:
                cold.append(_per_code_ms(payloads, fmt, cache_dir))
                cached.append(_per_code_ms(payloads, fmt, cache_dir))
        report.add(f"qr.{fmt}.cold", f"QR {fmt.upper()} per code: cold", "ms", cold,
                   note=f"{codes} new payloads per run, rendered and written")
        report.add(f"qr.{fmt}.cached", f"QR {fmt.upper()} per code: cached", "ms", cached,
                   note="qr_image() finding the cached file")
