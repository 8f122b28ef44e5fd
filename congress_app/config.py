"""Settings read from the environment, with defaults that are safe on a laptop."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

# The checkout: templates/, static/, seeds/ and instance/ sit beside the package.
ROOT = Path(__file__).resolve().parent.parent

DEFAULT_UPLOAD_LIMIT_MB = 50
# A signed session is only as private as this key: anything shorter or well known is refused.
SECRET_KEY_MIN_LENGTH = 32
KNOWN_SECRET_KEYS = frozenset({
    "dev", "development", "secret", "secret-key", "secret_key", "change-me", "changeme",
    "change-this", "please-change-me", "test", "test-secret", "testing", "x",
})


def _instance_secret_key(instance_path: Path) -> str:
    """Keep one random key per instance so sessions survive restarts without a shared default."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    tmp = key_file.with_suffix(".tmp")
    tmp.write_text(key)
    tmp.chmod(0o600)
    tmp.replace(key_file)
    return key


def secure_cookies(setting: str | None, public_base_url: str) -> bool:
    """CONGRESS_SECURE_COOKIES=1/0 decides; unset, cookies are Secure when the public URL is
    https:// (a hall served over plain http would otherwise lose every sign-in)."""
    if setting is not None and setting.strip():
        value = setting.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise RuntimeError(f"CONGRESS_SECURE_COOKIES must be 1 or 0, not {setting!r}.")
    return public_base_url.lower().startswith("https://")


def check_secret_key(config: Mapping) -> None:
    """Refuse to serve a real congress with a key anyone could guess (tests and debug may)."""
    if config.get("TESTING") or config.get("DEBUG"):
        return
    key = config.get("SECRET_KEY") or ""
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    if text.strip().lower() in KNOWN_SECRET_KEYS or len(text) < SECRET_KEY_MIN_LENGTH:
        raise RuntimeError(
            "The secret key is missing, a known default or shorter than "
            f"{SECRET_KEY_MIN_LENGTH} characters, so anyone could forge an organiser's "
            "session. Set CONGRESS_SECRET_KEY to a random value, e.g. the output of\n"
            "  python -c 'import secrets; print(secrets.token_hex(32))'\n"
            "or unset it so the app keeps a random key in instance/secret_key."
        )


def rate_limit_storage(env: Mapping[str, str]) -> str:
    """Where wrong passwords and PINs are counted (CONGRESS_RATELIMIT_STORAGE_URI)."""
    return env.get("CONGRESS_RATELIMIT_STORAGE_URI") or "memory://"


def check_rate_limit_storage(storage_uri: str, workers: int) -> None:
    """Refuse several worker processes counting in their own memory: each would allow the
    whole limit, so 2 workers give an attacker twice the passwords and PINs to try."""
    if workers > 1 and storage_uri.startswith("memory://"):
        raise RuntimeError(
            f"{workers} worker processes with CONGRESS_RATELIMIT_STORAGE_URI={storage_uri} "
            "would each count wrong passwords and PINs apart, multiplying every limit by "
            f"{workers}. Count them in Redis, shared by every worker:\n"
            "  sudo apt-get install -y redis-server\n"
            "  export CONGRESS_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379\n"
            "or run one worker (WEB_CONCURRENCY=1)."
        )


def engine_options(database_uri: str) -> dict:
    """SQLAlchemy engine options: SQLite waits up to 15 s for another writer's lock; other
    drivers (psycopg refuses a "timeout" argument) keep their defaults."""
    if database_uri.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    return {}


def database_url(url: str) -> str:
    """A PostgreSQL URL without a driver ("postgresql://", "postgres://") uses psycopg 3,
    the driver the app installs; SQLAlchemy would otherwise look for psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def settings_from_environment(instance_path: Path) -> dict:
    """Map CONGRESS_* (and the documented short names) onto Flask config keys."""
    env = os.environ
    upload_mb = int(env.get("CONGRESS_UPLOAD_LIMIT_MB", DEFAULT_UPLOAD_LIMIT_MB))
    public_base_url = (
        env.get("PUBLIC_BASE_URL") or env.get("CONGRESS_PUBLIC_BASE_URL") or
        f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '5000')}"
    ).rstrip("/")
    secure = secure_cookies(env.get("CONGRESS_SECURE_COOKIES"), public_base_url)
    return {
        "SECRET_KEY": env.get("CONGRESS_SECRET_KEY") or _instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env.get(
            "CONGRESS_DATABASE_URL", f"sqlite:///{instance_path / 'congress.sqlite3'}"
        )),
        "FILE_STORE": env.get("CONGRESS_FILE_STORE", str(instance_path / "files")),
        # Behind nginx: hand file bodies to it (an internal location over FILE_STORE).
        "FILE_ACCEL_REDIRECT": env.get("CONGRESS_ACCEL_REDIRECT", ""),
        # How many proxies in front may be believed about the client (X-Forwarded-*).
        "TRUSTED_PROXIES": int(env.get("CONGRESS_TRUSTED_PROXIES", "0") or 0),
        "CACHE_DIR": env.get("CONGRESS_CACHE_DIR", str(instance_path / "cache")),
        "PUBLIC_BASE_URL": public_base_url,
        # The address the app listens on (what `flask serve` and gunicorn bind): not
        # loopback means other computers reach it, and the demo password stops working.
        "HOST": env.get("HOST", "127.0.0.1"),
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "MAX_CONTENT_LENGTH": upload_mb * 1024 * 1024,
        "CONGRESS_TIMEZONE": env.get("CONGRESS_TIMEZONE", "Asia/Ho_Chi_Minh"),
        # Several workers or servers need a shared store, e.g. "redis://localhost:6379".
        "RATELIMIT_STORAGE_URI": rate_limit_storage(env),
        "PIN_ATTEMPTS_PER_CLIENT": env.get(
            "CONGRESS_PIN_ATTEMPTS_PER_CLIENT", DEFAULTS["PIN_ATTEMPTS_PER_CLIENT"]
        ),
        "LOGIN_ATTEMPTS_PER_USERNAME": env.get(
            "CONGRESS_LOGIN_ATTEMPTS_PER_USERNAME", DEFAULTS["LOGIN_ATTEMPTS_PER_USERNAME"]
        ),
        "LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT": env.get(
            "CONGRESS_LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT",
            DEFAULTS["LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT"],
        ),
        "LOGIN_ATTEMPTS_PER_CLIENT": env.get(
            "CONGRESS_LOGIN_ATTEMPTS_PER_CLIENT", DEFAULTS["LOGIN_ATTEMPTS_PER_CLIENT"]
        ),
    }


DEFAULTS = {
    "WTF_CSRF_TIME_LIMIT": None,
    "HOST": "127.0.0.1",
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ("vi", "en"),
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    # "Keep me signed in" (unticked by default) keeps an organiser's laptop signed in for one
    # congress day, not a year; delegates' phones stay signed in longer (web/delegate.py).
    "REMEMBER_COOKIE_DURATION": timedelta(hours=12),
    # Secure (HTTPS-only) cookies: see secure_cookies(); off by default for a plain-http hall.
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "SEND_FILE_MAX_AGE_DEFAULT": 3600,
    # Page images of uploaded documents: "background" (after the upload), "sync" or "on-demand".
    "PAGE_RENDERING": "background",
    # How passwords are hashed (werkzeug's default; an eighth of a second a hash, on purpose).
    # The tests sign in thousands of times with a one-round method; test_auth checks this one.
    "PASSWORD_HASH_METHOD": "scrypt",
    # Flask-Limiter: named explicitly, so it neither warns nor keeps a value from another app.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Wrong delegate PINs allowed before a pause (web/sign_in_limits.py): per delegate number
    # from one phone (address); per phone, whatever the number; and per number from all the
    # phones that have failed for it (a phone that has not failed still signs in).
    "PIN_ATTEMPTS_PER_NUMBER_AND_CLIENT": "5 per 15 minutes",
    "PIN_ATTEMPTS_PER_CLIENT": "30 per 15 minutes",
    "PIN_ATTEMPTS_PER_NUMBER": "20 per 15 minutes",
    # Wrong organiser passwords allowed before a pause, counted the same way.
    "LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT": "10 per 15 minutes",
    "LOGIN_ATTEMPTS_PER_CLIENT": "30 per 15 minutes",
    "LOGIN_ATTEMPTS_PER_USERNAME": "100 per 15 minutes",
}
