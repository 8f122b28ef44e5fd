"""Documents arriving: a new document's first file, a replacement's new version.

An upload is staged and checked (a PDF read in a child process with limits, an image
decoded and cleaned of its metadata) before any row names it; the bytes are put at their
address just before the commit of the row that names them, and taken back if that fails.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..filenames import windows_safe
from ..models import Congress, Document, DocumentCategory, DocumentVersion, User, Visibility
from ..models.base import utcnow
from ..storage import FileStore, FileTooLarge, StagedFile, file_store
from . import audit, comment_anchoring, images, page_images, pdf_inspection
from .documents import clean_title, new_code, normalise_code
from .errors import InputRefused

FILENAME_MAX = 255
PDF_MIME = "application/pdf"
# Photos and scans of a page: checked from the bytes, never from the name.
IMAGE_TYPES = {"JPEG": ("image/jpeg", (".jpg", ".jpeg")), "PNG": ("image/png", (".png",))}
EXTENSIONS = {PDF_MIME: (".pdf",), **dict(IMAGE_TYPES.values())}
IMAGE_MAX_PIXELS = 50_000_000
NOTE_MAX = 500
# How long a replacement waits for another one of the same document on PostgreSQL.
LOCK_WAIT = "15s"
NOT_A_DOCUMENT = _l("This file is not a PDF, JPEG or PNG image. "
                    "Upload a PDF, JPEG or PNG file.")



@dataclass(frozen=True)
class Upload:
    """A file as it arrives: its bytes as a stream and the name the sender gave it."""

    stream: BinaryIO
    filename: str


def clean_filename(raw: str | None, mime_type: str = PDF_MIME) -> str:
    """Refuse names that try to leave their folder or hide characters; keep Vietnamese ones.

    The name ends with an extension of its type (.pdf, .jpg/.jpeg, .png), added if missing.
    """
    name = unicodedata.normalize("NFC", raw or "")
    if not name.strip():
        raise InputRefused(_l("The file has no name."), field="file")
    if len(name) > FILENAME_MAX:
        raise InputRefused(
            _l("The file name is too long (at most %(max)d characters).", max=FILENAME_MAX),
            field="file",
        )
    if "/" in name or "\\" in name or ".." in name:
        raise InputRefused(
            _l("The file name must not contain folder parts such as “/” or “..”."), field="file"
        )
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        raise InputRefused(
            _l("The file name contains characters that are not allowed. Please rename the file."),
            field="file",
        )
    # "CON.pdf", "nul.png" name devices on Windows: kept as "_CON.pdf", which saves there too
    # (a cut extension is put back below).
    name = windows_safe(name.strip())[:FILENAME_MAX]
    extensions = EXTENSIONS.get(mime_type, (".pdf",))
    if not name.lower().endswith(extensions):  # shortened to keep within VARCHAR(255)
        name = name[: FILENAME_MAX - len(extensions[0])] + extensions[0]
    return name


def inspect_pdf(staged: StagedFile) -> tuple[int, str]:
    """Pages and text of an uploaded PDF; refuse anything that is not a readable PDF the
    reader can show, read in a child process with limits (see pdf_inspection)."""
    if staged.size == 0:
        raise InputRefused(_l("The file is empty."), field="file")
    with staged.path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise InputRefused(NOT_A_DOCUMENT, field="file")
    inspected = pdf_inspection.inspect(staged.path)
    return inspected.pages, unicodedata.normalize("NFC", inspected.text)


def inspect_image(staged: StagedFile) -> str:
    """The MIME type of an uploaded JPEG or PNG; refuse anything else, animations, giants."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; ours is lower and firm.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(staged.path, formats=images.FORMATS) as image:
                kind = image.format
                if kind not in IMAGE_TYPES:
                    raise InputRefused(NOT_A_DOCUMENT, field="file")
                if getattr(image, "n_frames", 1) > 1:
                    raise InputRefused(
                        _l("Animated images cannot be documents. Upload a PDF, JPEG or PNG "
                           "file."), field="file")
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    raise _image_too_large()
                image.verify()
            with Image.open(staged.path, formats=images.FORMATS) as image:
                image.load()  # verify() does not decode: a truncated file fails only here
    except InputRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _image_too_large() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise InputRefused(
            _l("This image is damaged and cannot be read. Upload a PDF, JPEG or PNG file."),
            field="file",
        ) from None
    return IMAGE_TYPES[kind][0]


def _image_too_large() -> InputRefused:
    return InputRefused(
        _l("This image is too large (at most %(max)d megapixels).",
           max=IMAGE_MAX_PIXELS // 1_000_000),
        field="file",
    )


def inspect_upload(staged: StagedFile) -> tuple[str, int, str]:
    """(MIME type, pages, text) of an upload: a PDF, or a JPEG/PNG as a one-page document."""
    if staged.size == 0:
        raise InputRefused(_l("The file is empty."), field="file")
    with staged.path.open("rb") as fh:
        head = fh.read(1024)
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        return inspect_image(staged), 1, ""
    pages, text = inspect_pdf(staged)
    return PDF_MIME, pages, text


@dataclass(frozen=True)
class _Received:
    """An upload checked in the store's staging area: not yet at its address nor a version."""

    staged: StagedFile
    filename: str
    mime_type: str
    pages: int
    text: str


@contextmanager
def _receive(upload: Upload, store: FileStore) -> Iterator[_Received]:
    """Stage and check the bytes. Inside the block the caller adds the version row and
    places the bytes (_placed_before_commit); leaving it any other way deletes them, so a
    refused upload leaves nothing in the store. A photo is staged again cleaned of its metadata: the
    original bytes, GPS position and all, are never stored."""
    clean_filename(upload.filename)  # a bad name is refused before the bytes are read
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    try:
        with store.staged(upload.stream, max_size=limit) as staged:
            mime_type, pages, text = inspect_upload(staged)
            if mime_type != PDF_MIME:
                cleaned = images.clean_image(staged.path)
                with store.staged(io.BytesIO(cleaned)) as clean:
                    yield _Received(clean, clean_filename(upload.filename, mime_type),
                                    mime_type, pages, text)
                return
            yield _Received(staged, clean_filename(upload.filename, mime_type), mime_type,
                            pages, text)
    except FileTooLarge:
        raise InputRefused(_l("The file is larger than the upload limit."), 413, "file") from None


@contextmanager
def _placed_before_commit(received: _Received, store: FileStore) -> Iterator[Callable[[], None]]:
    """The block ends by calling place(): the bytes go to their address just before the
    commit of the row that names them, so a committed version always has its file; if that
    commit fails, bytes placed here that no committed version names are taken back."""
    sha256 = received.staged.sha256
    placed: list[bool] = []

    def place() -> None:
        placed.append(not store.exists(sha256))
        store.commit(received.staged)

    try:
        yield place
    except BaseException:
        if placed and placed[0]:
            _remove_if_unnamed(sha256, store)
        raise


def _remove_if_unnamed(sha256: str, store: FileStore) -> None:
    """Delete stored bytes that no version names (the same bytes uploaded for another
    document may have been committed meanwhile: then they stay)."""
    try:
        named = db.session.scalar(
            select(DocumentVersion.id).where(DocumentVersion.sha256 == sha256).limit(1))
    except Exception:
        current_app.logger.exception("cannot tell whether %s is still named", sha256)
        return  # kept: `flask check-store --repair` removes unnamed files later
    finally:
        db.session.rollback()
    if named is None:
        store.path_for(sha256).unlink(missing_ok=True)


def clean_note(raw: str | None) -> str:
    """A version's note: trimmed, at most 500 characters (refused beyond, never cut)."""
    note = unicodedata.normalize("NFC", (raw or "").strip())
    if len(note) > NOTE_MAX:
        raise InputRefused(
            _l("The note is too long (at most %(max)d characters).", max=NOTE_MAX), field="note")
    return note


def _add_version(document: Document, received: _Received, user: User | None, note: str,
                 number: int) -> DocumentVersion:
    """Add the version row with this number."""
    version = DocumentVersion(
        number=number,
        sha256=received.staged.sha256,
        original_filename=received.filename,
        mime_type=received.mime_type,
        size=received.staged.size,
        pages=received.pages,
        text=received.text,
        uploaded_by_id=user.id if user is not None else None,
        uploaded_at=utcnow(),
        note=note,
    )
    document.versions.append(version)
    return version


def create_document(
    congress: Congress,
    *,
    title: str,
    category: DocumentCategory | str,
    upload: Upload,
    visibility: Visibility | str = Visibility.PUBLIC,
    published: bool = True,
    user: User | None = None,
    code: str | None = None,
    store: FileStore | None = None,
) -> Document:
    """Upload a new document; it gets its code now and keeps it for life."""
    title = clean_title(title)
    if code is not None:
        code = normalise_code(code)
        if code is None:
            raise InputRefused(_l("A document code may only use the letters and digits "
                                  "23456789ABCDEFGHJKMNPQRSTUVWXYZ."), field="code")
        if db.session.scalar(select(Document.id).where(Document.code == code)) is not None:
            raise InputRefused(_l("The code %(code)s is already in use.", code=code), 409, "code")
    position = (
        db.session.scalar(
            select(func.max(Document.position)).where(Document.congress_id == congress.id)
        )
        or 0
    ) + 1
    document = Document(
        congress_id=congress.id,
        code=code or new_code(),
        title=title,
        category=DocumentCategory(category),
        visibility=Visibility(visibility),
        published=published,
        position=position,
    )
    store = store or file_store()
    with (_receive(upload, store) as received,
          _placed_before_commit(received, store) as place,
          audit.edit_transaction()):
        db.session.add(document)
        _add_version(document, received, user, "", 1)
        db.session.flush()
        audit.record(user, "document.create", document, code=document.code, title=title)
        place()
    _schedule_page_images(document.current_version)
    return document


def replace_file(
    document: Document,
    upload: Upload,
    *,
    user: User | None = None,
    note: str = "",
    store: FileStore | None = None,
) -> DocumentVersion:
    """Add a new version; the code, and so every printed QR code, stays the same.

    Replacements of one document take turns (see _take_turn), so each is numbered after the
    one before; the file the document already has is refused, as it would change nothing.
    """
    if document.is_deleted:
        raise InputRefused(_l("This document has been deleted."), 410)
    note = clean_note(note)
    store = store or file_store()
    with (_receive(upload, store) as received,
          _placed_before_commit(received, store) as place,
          audit.edit_transaction()):
        _take_turn(document)
        newest = db.session.execute(
            select(DocumentVersion.number, DocumentVersion.sha256)
            .where(DocumentVersion.document_id == document.id)
            .order_by(DocumentVersion.number.desc()).limit(1)
        ).first()
        if newest is not None and newest.sha256 == received.staged.sha256:
            raise InputRefused(
                _l("This file is the same as the current version (version %(n)d), so no "
                   "new version has been made. Choose the corrected file.", n=newest.number),
                409, "file")
        version = _add_version(document, received, user, note,
                               newest.number + 1 if newest else 1)
        db.session.flush()
        audit.record(user, "document.replace", document, version=version.number)
        comment_anchoring.follow_new_version(document, version, user)
        place()
    _schedule_page_images(version)
    return version


def _take_turn(document: Document) -> None:
    """Hold the document's row until commit, so concurrent replacements wait for each other
    rather than race for the next number. A no-op UPDATE, since SQLite has no SELECT … FOR
    UPDATE and locks only on a write; a wait past the lock timeout (SQLite's busy timeout,
    PostgreSQL's lock_timeout) is refused as a conflict, with nothing stored."""
    table = Document.__table__
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            # PostgreSQL waits for ever by default; SQLite gives up after 15 s (config.py).
            # A lock_timeout set by the operator is kept.
            db.session.execute(select(func.set_config("lock_timeout", LOCK_WAIT, True))
                               .where(func.current_setting("lock_timeout") == "0"))
        locked = db.session.execute(
            update(table).where(table.c.id == document.id, table.c.deleted_at.is_(None))
            .values(deleted_at=table.c.deleted_at))
    except OperationalError as error:
        if not _is_lock_wait(error):
            raise
        db.session.rollback()  # PostgreSQL refuses every statement until then, even the locale's
        raise InputRefused(_l(
            "Another new version of this document was being saved at the same moment, so "
            "this file has not been saved. Upload it again."), 409, "file") from None
    if locked.rowcount == 0:
        raise InputRefused(_l("This document has been deleted."), 410)


def _is_lock_wait(error: OperationalError) -> bool:
    """Whether the database gave up waiting for a lock (not, say, a lost connection)."""
    sqlstate = getattr(error.orig, "sqlstate", None)  # psycopg: lock timeout, deadlock
    return sqlstate in ("55P03", "40P01") or "database is locked" in str(error.orig)


def _schedule_page_images(version: DocumentVersion) -> None:
    """The upload is committed: have the reader's page images made, without waiting for them."""
    try:
        page_images.schedule_rendering(version.sha256, version.mime_type, version.pages)
    except Exception:
        # The document is saved; pages missing from the cache are rendered when asked for.
        current_app.logger.exception("could not schedule the page images of %s", version.sha256)
