"""Printables cached on disk, keyed by a hash of exactly what they print.

Every handout of the print centre is a pure function of a JSON-able context (what the
template is given), the locale it is rendered in, the template sources, the print CSS and
the QR render version. The
sha256 of those names the file, so a PDF is rendered again only when one of them changes,
and "is the cached copy current?" is answered without rendering anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from flask_babel import get_locale

from .. import qr
from ..storage import write_atomically
from .render import PRINT_CSS, STATIC_ROOT, render_pdf

# Older renders of one kind stay on disk for a while (editions and options differ), then go.
CACHE_KEEP = 16
_digests: dict[tuple[str, ...], str] = {}


def source_digest(templates: Sequence[str]) -> str:
    """Digest of the templates and the print CSS, so editing them never serves a stale PDF."""
    names = tuple(templates)
    if names not in _digests:
        env = current_app.jinja_env
        loader = env.loader
        sources = [loader.get_source(env, name)[0] for name in names] if loader else []
        css = (STATIC_ROOT / PRINT_CSS).read_text(encoding="utf-8")
        _digests[names] = hashlib.sha256("\0".join([*sources, css]).encode()).hexdigest()
    return _digests[names]


def cache_key(kind: str, context: dict, templates: Sequence[str], version: str = "1") -> str:
    """sha256 of the rendered inputs plus the versions of the templates and the QR images.

    The locale is part of it whatever the context holds: a Vietnamese and an English print
    of the same data never share a file.
    """
    blob = json.dumps(
        {
            "kind": kind,
            "locale": str(get_locale()),
            "version": version,
            "sources": source_digest(templates),
            "qr": qr.RENDER_VERSION,
            "context": context,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_dir() -> Path:
    return Path(current_app.config["CACHE_DIR"]) / "pdf"


def pdf_path(kind: str, context: dict, templates: Sequence[str], version: str = "1") -> Path:
    """Where the PDF for these inputs lives (or will live once rendered)."""
    return cache_dir() / f"{kind}-{cache_key(kind, context, templates, version)}.pdf"


def cached_pdf(
    kind: str,
    context: dict,
    build: Callable[[dict], bytes | str],
    *,
    templates: Sequence[str],
    version: str = "1",
) -> Path:
    """Path of the PDF for `context`, calling `build` only if no current copy exists.

    `build` returns PDF bytes, or an HTML string that is rendered with WeasyPrint.
    """
    path = pdf_path(kind, context, templates, version)
    if path.is_file():
        return path
    built = build(context)
    write_atomically(path, render_pdf(built) if isinstance(built, str) else built)
    prune(kind)
    return path


def rendered_at(path: Path) -> datetime | None:
    """When this cached PDF was written, or None if it has not been rendered yet."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        return None


def _renders(kind: str) -> list[Path]:
    """This kind's cached files only ("programme-<sha>", not "programme-a5-<sha>")."""
    return [p for p in cache_dir().glob(f"{kind}-*.pdf") if len(p.stem) == len(kind) + 65]


def last_rendered(kind: str) -> datetime | None:
    """The newest render of this kind, whatever its inputs were."""
    times = [t for p in _renders(kind) if (t := rendered_at(p))]
    return max(times, default=None)


def prune(kind: str, keep: int = CACHE_KEEP) -> None:
    """Keep the newest renders of one kind; an older one may still be open, which Unix allows."""
    dated = []
    for path in _renders(kind):
        if (when := rendered_at(path)) is not None:  # None: pruned meanwhile by another worker
            dated.append((when, path))
    for _when, path in sorted(dated)[:-keep]:
        path.unlink(missing_ok=True)
        # And what is kept beside it ("<name>.preview.webp", a stamp's "<name>.over-text.json").
        for companion in path.parent.glob(f"{path.stem}.*"):
            companion.unlink(missing_ok=True)


def preview_path(pdf: Path) -> Path:
    """Where the print centre keeps the thumbnail of a cached PDF's first page."""
    return pdf.with_suffix(".preview.webp")
