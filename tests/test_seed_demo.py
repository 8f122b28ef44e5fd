"""The demo congress loads from seeds/ once, with real multi-page Vietnamese PDFs."""

from __future__ import annotations

import tomllib
import unicodedata

import pytest
from sqlalchemy import func, select

from congress_app.config import ROOT
from congress_app.extensions import db
from congress_app.models import AgendaItem, Document, DocumentVersion, User
from congress_app.services.documents import CODE_ALPHABET

from .conftest import BASE_URL
from .pdf_reading import decoded_qr_codes, pdf_text

SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def seed_data() -> dict:
    return tomllib.loads((SEEDS / "congress.toml").read_text(encoding="utf-8"))


def test_seed_files_are_consistent(seed_data):
    codes = [d["code"] for d in seed_data["documents"]]
    assert len(codes) == len(set(codes)) >= 12
    assert all(set(code) <= set(CODE_ALPHABET) for code in codes)
    linked = {c for s in seed_data["sessions"] for i in s["items"] for c in i["documents"]}
    assert linked <= set(codes)
    for document in seed_data["documents"]:
        text = (SEEDS / document["source"]).read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text)
        assert len(text.split()) > 600, document["source"]
    items = sum(len(s["items"]) for s in seed_data["sessions"])
    assert 12 <= items <= 25
    assert seed_data["congress"]["delegates_expected"] == 168


def test_seed_demo_loads_once_and_then_changes_nothing(runner, seed_data):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "bantochuc" in first.output

    counts = {
        model: db.session.scalar(select(func.count()).select_from(model))
        for model in (Document, DocumentVersion, AgendaItem, User)
    }
    assert counts[Document] == len(seed_data["documents"])
    assert counts[AgendaItem] == sum(len(s["items"]) for s in seed_data["sessions"])

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    for model, count in counts.items():
        assert db.session.scalar(select(func.count()).select_from(model)) == count

    versions = db.session.scalars(select(DocumentVersion)).all()
    assert all(v.pages >= 2 for v in versions), [(v.original_filename, v.pages) for v in versions]
    assert all(v.mime_type == "application/pdf" for v in versions)
    political = db.session.scalar(
        select(Document).where(Document.category == "political_report"))
    assert "Đảng bộ phường Thanh Xuân" in political.current_version.text


def test_the_demo_congress_works_end_to_end(runner, client, seed_data):
    """Seed, then open every document by its code and check the demo's printed programme."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    public = {d["code"] for d in seed_data["documents"] if d["visibility"] == "public"}
    assert 0 < len(public) < len(seed_data["documents"])  # the demo has private documents
    for document in seed_data["documents"]:
        page = client.get(f"/d/{document['code']}")
        if document["code"] in public:
            assert page.status_code == 200
            assert document["title"] in page.get_data(as_text=True)
        else:
            assert page.status_code != 200
            assert document["title"] not in page.get_data(as_text=True)

    pdf = client.get("/programme.pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I" in text
    linked = [c for s in seed_data["sessions"] for i in s["items"] for c in i["documents"]
              if c in public]
    listed = [d["code"] for d in seed_data["documents"] if d["code"] in public]
    decoded = decoded_qr_codes(pdf.data)
    assert sorted(decoded) == sorted(
        f"{BASE_URL}/d/{code}".upper() for code in linked + listed)
    for code in set(linked):
        assert code in text  # printed under its QR code


