"""Delegates: their card credentials and sign-in lookups.

A card carries a personal link token and a 6-digit PIN. Both are derived with HMAC from the
app's secret key, the delegate's id and their credential version, so a lost card can be
printed again without keeping any plaintext: the database stores only a sha256 of the token
and a keyed hash (HMAC) of the PIN. Reissuing bumps the version, and the old card stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Congress, Delegate, User
from . import audit

TOKEN_BYTES = 20  # 160 bits → 32 base32 characters
PIN_DIGITS = 6


def fold(text: str) -> str:
    """Lower-case ASCII for matching: "Nguyễn Văn Đức" → "nguyen van duc"."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def _derive(purpose: str, delegate: Delegate) -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"congress_app card {purpose}:{delegate.id}:{delegate.credential_version}"
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def card_token(delegate: Delegate) -> str:
    """The token printed in the card's QR code: upper-case base32, so the URL fits QR
    alphanumeric mode and stays short."""
    return base64.b32encode(_derive("token", delegate)[:TOKEN_BYTES]).decode("ascii")


def card_pin(delegate: Delegate) -> str:
    """The 6-digit PIN printed on the card, for phones that cannot scan."""
    number = int.from_bytes(_derive("pin", delegate)[:8], "big") % 10**PIN_DIGITS
    return f"{number:0{PIN_DIGITS}d}"


def pin_digest(delegate: Delegate, pin: str) -> str:
    """A keyed hash of the PIN. Six digits are only a million values, so no slow hash
    would stop an offline search; the secret key does: without it the stored digests are
    useless. Online guessing is stopped by the rate limit on the sign-in form."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"congress_app pin:{delegate.id}:{pin}".encode()
    return "hmac-sha256:" + hmac.new(key, message, hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.strip().upper().encode()).hexdigest()


def issue_credentials(delegate: Delegate) -> None:
    """Store the hashes of the current version's token and PIN (the caller commits).

    The delegate must have an id: flush first when it is new.
    """
    delegate.token_hash = token_digest(card_token(delegate))
    delegate.pin_hash = pin_digest(delegate, card_pin(delegate))


def reissue_credentials(delegate: Delegate, *, user: User | None = None) -> None:
    """Invalidate the printed card at once and make new credentials for a new card."""
    delegate.credential_version += 1
    issue_credentials(delegate)
    audit.record(user, "delegate.reissue", delegate, number=delegate.number,
                 version=delegate.credential_version)
    db.session.commit()


def delegate_by_token(token: str, congress: Congress | None = None) -> Delegate | None:
    """The active delegate whose current card carries this token, or None."""
    if not token or len(token) > 100:
        return None
    delegate = db.session.scalar(
        select(Delegate).where(Delegate.token_hash == token_digest(token))
    )
    if delegate is None or not delegate.active:
        return None
    if congress is not None and delegate.congress_id != congress.id:
        return None
    return delegate


def delegate_by_number(congress: Congress, number: int) -> Delegate | None:
    return db.session.scalar(
        select(Delegate).where(Delegate.congress_id == congress.id, Delegate.number == number)
    )


def check_pin(congress: Congress, number: int, pin: str) -> Delegate | None:
    """The active delegate with this number and PIN, or None."""
    delegate = delegate_by_number(congress, number)
    if delegate is None or not delegate.active or not delegate.pin_hash:
        return None
    if not (pin.isdigit() and len(pin) == PIN_DIGITS):
        return None
    return delegate if hmac.compare_digest(delegate.pin_hash, pin_digest(delegate, pin)) else None
