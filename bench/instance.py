"""A throw-away congress for the bench: its own database, file store and cache in a temp dir.

The settings go into the environment (as for a real deployment), so the app built here, the
fresh processes of the cold renders and gunicorn's workers all read the same instance.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from .report import ROOT

# Not local on purpose: the app warns when QR codes would point at this computer.
PUBLIC_BASE_URL = "https://daihoi.example.vn"
STAMP_PAGES = 30
STAMP_TITLE = "Báo cáo chính trị (bản đầy đủ để đóng dấu, 30 trang)"


@dataclass(frozen=True)
class Instance:
    """Where the bench congress lives; `env` is what every process of the bench is given."""

    root: Path
    env: dict[str, str]

    @property
    def cache_dir(self) -> Path:
        return Path(self.env["CONGRESS_CACHE_DIR"])


def instance_env(root: Path) -> dict[str, str]:
    """The CONGRESS_* settings of an instance under `root` (see congress_app/config.py)."""
    return {
        "CONGRESS_DATABASE_URL": f"sqlite:///{root / 'congress.sqlite3'}",
        "CONGRESS_FILE_STORE": str(root / "files"),
        "CONGRESS_CACHE_DIR": str(root / "cache"),
        "CONGRESS_SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "FLASK_APP": "congress_app",
    }


def bench_app() -> Flask:
    """The app as configured by the environment; page images only when asked for, so the
    page-image figures start from an empty cache."""
    from congress_app import create_app

    app = create_app()
    app.config["PAGE_RENDERING"] = "on-demand"
    return app


@contextmanager
def throwaway_instance():
    """Migrate and seed a fresh instance, yield it, and delete it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="congress-bench-"))
    previous = {key: os.environ.get(key) for key in instance_env(root)}
    env = instance_env(root)
    os.environ.update(env)
    try:
        _build()
        yield Instance(root, env)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(root, ignore_errors=True)


def _build() -> None:
    """`flask db upgrade` + `flask seed-demo`, in-process."""
    from flask_migrate import upgrade

    from congress_app.extensions import db
    from congress_app.services import seed as seed_service

    app = bench_app()
    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        upgrade()
        seed_service.load_demo(ROOT / "seeds")
        db.session.remove()
        db.engine.dispose()


def _stamp_markdown(pages: int) -> str:
    """A long report in Vietnamese, one part per page (a page break after each part)."""
    paragraph = (
        "Trong nhiệm kỳ qua, Đảng bộ phường đã lãnh đạo thực hiện thắng lợi các chỉ tiêu về "
        "phát triển kinh tế, văn hóa, xã hội; công tác xây dựng Đảng và hệ thống chính trị "
        "được chú trọng; quốc phòng, an ninh được giữ vững; đời sống vật chất và tinh thần của "
        "Nhân dân không ngừng được nâng cao. Chuyển đổi số, cải cách hành chính và chỉnh trang "
        "đô thị được triển khai đồng bộ, tạo chuyển biến rõ nét."
    )
    parts = []
    for n in range(1, pages + 1):
        parts.append(f"## Phần {n}. Kết quả thực hiện nhiệm vụ (mục {n})\n\n"
                     + "\n\n".join([paragraph] * 3))
    return '\n\n<div style="break-after: page"></div>\n\n'.join(parts)


def add_stamp_document(app: Flask) -> str:
    """Add a document of exactly STAMP_PAGES pages for the stamped-PDF figure; its code.

    Organisers-only, and added after the search and page-image figures, so the demo's
    public programme, QR sheet and search results stay exactly the demo's."""
    from pypdf import PdfReader, PdfWriter
    from sqlalchemy import select

    from congress_app.extensions import db
    from congress_app.models import Congress
    from congress_app.pdf.documents import render_markdown_document
    from congress_app.services import intake

    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        pdf = render_markdown_document(_stamp_markdown(STAMP_PAGES), STAMP_TITLE)
        reader = PdfReader(io.BytesIO(pdf))
        if len(reader.pages) != STAMP_PAGES:  # a part ran over a page: make it exact
            writer = PdfWriter()
            for n in range(STAMP_PAGES):
                writer.add_page(reader.pages[n % len(reader.pages)])
            out = io.BytesIO()
            writer.write(out)
            pdf = out.getvalue()
        congress = db.session.scalars(select(Congress)).one()
        document = intake.create_document(
            congress, title=STAMP_TITLE, category="political_report", visibility="organisers",
            upload=intake.Upload(io.BytesIO(pdf), "Bao-cao-chinh-tri-day-du.pdf"),
        )
        code = document.code
        db.session.remove()
    return code


BIG_TITLE = "Phụ lục ảnh: công trình chào mừng Đại hội (bản in màu)"
BIG_BYTES = 2 * 1024 * 1024


def add_big_document(app: Flask) -> str:
    """A public photo appendix of about 2 MB (a noise image does not compress): what 1,600
    phones download at once in the burst figure. Added after the render figures."""
    from PIL import Image
    from sqlalchemy import select

    from congress_app.extensions import db
    from congress_app.models import Congress
    from congress_app.services import intake

    side = 900
    while True:  # grow the photo until the PDF holds at least BIG_BYTES
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        out = io.BytesIO()
        image.save(out, "PDF", quality=95, resolution=150)
        if out.tell() >= BIG_BYTES:
            break
        side += 100
    with app.test_request_context(base_url=PUBLIC_BASE_URL):
        congress = db.session.scalars(select(Congress)).one()
        document = intake.create_document(
            congress, title=BIG_TITLE, category="other",
            upload=intake.Upload(io.BytesIO(out.getvalue()), "Phu-luc-anh.pdf"),
        )
        code = document.code
        db.session.remove()
    return code
