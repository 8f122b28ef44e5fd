"""Settings read from the environment, with defaults that are safe on a laptop."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_UPLOAD_LIMIT_MB = 50


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


def settings_from_environment(instance_path: Path) -> dict:
    """Map CONGRESS_* (and the documented short names) onto Flask config keys."""
    env = os.environ
    upload_mb = int(env.get("CONGRESS_UPLOAD_LIMIT_MB", DEFAULT_UPLOAD_LIMIT_MB))
    return {
        "SECRET_KEY": env.get("CONGRESS_SECRET_KEY") or _instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "CONGRESS_DATABASE_URL", f"sqlite:///{instance_path / 'congress.sqlite3'}"
        ),
        "FILE_STORE": env.get("CONGRESS_FILE_STORE", str(instance_path / "files")),
        "CACHE_DIR": env.get("CONGRESS_CACHE_DIR", str(instance_path / "cache")),
        "PUBLIC_BASE_URL": (
            env.get("PUBLIC_BASE_URL") or env.get("CONGRESS_PUBLIC_BASE_URL") or
            f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '5000')}"
        ).rstrip("/"),
        "MAX_CONTENT_LENGTH": upload_mb * 1024 * 1024,
        "CONGRESS_TIMEZONE": env.get("CONGRESS_TIMEZONE", "Asia/Ho_Chi_Minh"),
        # Several workers or servers need a shared store, e.g. "redis://localhost:6379".
        "RATELIMIT_STORAGE_URI": env.get("CONGRESS_RATELIMIT_STORAGE_URI", "memory://"),
        "PIN_ATTEMPTS_PER_CLIENT": env.get(
            "CONGRESS_PIN_ATTEMPTS_PER_CLIENT", DEFAULTS["PIN_ATTEMPTS_PER_CLIENT"]
        ),
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 15}},
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ("vi", "en"),
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SEND_FILE_MAX_AGE_DEFAULT": 3600,
    # Page images of uploaded documents: "background" (after the upload), "sync" or "on-demand".
    "PAGE_RENDERING": "background",
    # Flask-Limiter: named explicitly, so it neither warns nor keeps a value from another app.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Wrong delegate PINs allowed before a pause: per delegate number, and per phone (address).
    "PIN_ATTEMPTS_PER_NUMBER": "5 per 15 minutes",
    "PIN_ATTEMPTS_PER_CLIENT": "30 per 15 minutes",
}
