"""The comments tests' shared pieces: a real draft PDF with numbered paragraphs under two
headings, opening it for comments, and a delegate's phone signed in with the card."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from congress_app.models import utcnow
from congress_app.services import comments as comment_service
from congress_app.services import intake
from congress_app.services.delegates import card_token

DRAFT_TITLE = "Dự thảo Văn kiện Đại hội XIV của Đảng"
SECTIONS = {
    "I. ĐÁNH GIÁ KẾT QUẢ NHIỆM KỲ 2020–2025": [
        "Đảng bộ phường đã lãnh đạo thực hiện thắng lợi các mục tiêu của nhiệm kỳ 2020–2025, "
        "kinh tế tăng trưởng khá, đời sống nhân dân được nâng lên rõ rệt.",
        "Công tác xây dựng Đảng được chú trọng; chất lượng sinh hoạt chi bộ được nâng lên và "
        "gắn với nhiệm vụ chính trị của từng chi bộ.",
    ],
    "II. MỤC TIÊU, NHIỆM VỤ NHIỆM KỲ 2025–2030": [
        "Phát triển kinh tế số, đô thị thông minh và chuyển đổi số toàn diện trong quản lý "
        "nhà nước ở phường.",
        "Nâng cao chất lượng giáo dục, y tế; chăm lo đời sống người có công và hộ nghèo.",
    ],
}
PARAGRAPHS = [p for paragraphs in SECTIONS.values() for p in paragraphs]


@pytest.fixture(scope="session")
def draft_pdf() -> bytes:
    """A real PDF of a draft: two headings, two paragraphs under each."""
    from weasyprint import HTML

    body = "".join(f"<h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs)
                   for heading, paragraphs in SECTIONS.items())
    return HTML(string=f"<html><body><h1>{DRAFT_TITLE}</h1>{body}</body></html>").write_pdf()


@pytest.fixture
def draft(congress, draft_pdf):
    """The higher level's draft, uploaded through intake, public."""
    return intake.create_document(
        congress, title=DRAFT_TITLE, category="higher_draft",
        upload=intake.Upload(io.BytesIO(draft_pdf), "du-thao-van-kien.pdf"))


@pytest.fixture
def open_comments(organiser):
    """open_comments(document, scope=…, hours=…): comments open from now for `hours`."""

    def open_for(document, scope="paragraphs", hours=48, **kwargs):
        now = utcnow()
        return comment_service.open_window(
            document.congress, document, opens_at=kwargs.pop("opens_at", now),
            closes_at=kwargs.pop("closes_at", now + timedelta(hours=hours)), scope=scope,
            user=organiser, **kwargs)

    return open_for


@pytest.fixture
def delegate_phone(app):
    """delegate_phone(delegate): a phone of its own, signed in with the delegate's card."""
    from .conftest import IsolatedClient

    def phone(delegate, lang="en"):
        app.test_client_class = IsolatedClient
        client = app.test_client()
        if lang:
            client.set_cookie("lang", lang)
        assert client.get(f"/K/{card_token(delegate)}").status_code == 302
        return client

    return phone
