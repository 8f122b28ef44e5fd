"""Whether phones get a secure context (HTTPS): browsers allow a service worker (saving
documents offline) and the camera (the door scanner) only there, so the pages that rely on
them say so when the hall is served over plain HTTP, instead of failing silently.

http://localhost and http://127.x count as secure in every browser, but no phone in the
hall opens those; any other http:// address is not secure.
"""

from __future__ import annotations

from enum import StrEnum

from flask import request

from ..qr import is_local_base_url


class HallHttps(StrEnum):
    """What the organiser dashboard says about HTTPS."""

    SECURE = "secure"
    # Neither this request nor PUBLIC_BASE_URL is https: phones get plain HTTP.
    PLAIN_HTTP = "plain_http"
    # The site answers over HTTPS, but the printed QR codes still send phones to http://.
    QR_CODES_HTTP = "qr_codes_http"


def hall_https(public_base_url: str) -> HallHttps:
    """Judge from this request (https directly, or X-Forwarded-Proto from a trusted proxy,
    see CONGRESS_TRUSTED_PROXIES) and from the address the QR codes encode."""
    qr_codes_https = public_base_url.lower().startswith("https://")
    if qr_codes_https:
        return HallHttps.SECURE
    return HallHttps.QR_CODES_HTTP if request.is_secure else HallHttps.PLAIN_HTTP


def camera_needs_https() -> bool:
    """This page reached the phone over plain HTTP at an address that is not this computer,
    so the browser will refuse the camera (typing a delegate number still works)."""
    return not request.is_secure and not is_local_base_url(request.host_url)
