"""The print centre through its pages: every printable listed, previewed, served, guarded.

Each printable's own layout is tested next to its module (test_print_sheets,
test_programme_booklet, test_stamped_documents); here every printable is opened the way an
organiser opens it, rasterised at 150 dpi, and every QR code on it must decode and lead to
a document its edition's audience may open.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from congress_app.models import Role, Visibility
from congress_app.services import agenda as agenda_service

from .conftest import BASE_URL, add_delegates, add_user
from .pdf_reading import decoded_qr_codes
from .routes import blueprint_routes, routes_not_refused, routes_not_sending_to_sign_in

RULES = blueprint_routes("print_centre") + blueprint_routes("cards")
# Every printable at its default options, and the options each one is also tried with.
PRINTABLES = {
    "programme": [{}, {"layout": "a5-booklet"}],
    "qr-sheet": [{}, {"grid": "4x5"}],
    "poster": [{}, {"size": "a3"}],
    "table-tent": [{}, {"size": "a5"}],
    "labels": [{}, {"layout": "4x10"}],
    "stamped": [{"pages": "all"}],
}


@pytest.fixture
def documents(congress, make_document):
    """One document of each kind of visibility, the public ones linked from the agenda."""
    docs = {
        "public": make_document("Báo cáo chính trị", category="political_report"),
        "rules": make_document("Quy chế làm việc của Đại hội", category="working_rules"),
        "delegates": make_document("Dự thảo Nghị quyết Đại hội", category="draft_resolution",
                                   visibility=Visibility.DELEGATES),
        "organisers": make_document("Danh sách giới thiệu nhân sự", category="other",
                                    visibility=Visibility.ORGANISERS),
        "draft": make_document("Báo cáo kiểm điểm (chưa công bố)", category="review_report",
                               published=False),
    }
    agenda_service.link_document(congress.sessions[0].items[0], docs["public"])
    agenda_service.link_document(congress.sessions[0].items[1], docs["delegates"])
    return docs


def opened_code(payload: str) -> str | None:
    """The document code a payload opens, or None for the congress home."""
    path = urlsplit(payload).path
    match = re.fullmatch(r"/d/([A-Za-z0-9]+)", path, flags=re.IGNORECASE)
    if match:
        return match.group(1).upper()
    assert path in ("", "/"), f"a code that opens neither a document nor the home: {payload}"
    return None


def codes_allowed(docs: dict, edition: str) -> set[str]:
    allowed = {"public": {"public", "rules"}, "delegates": {"public", "rules", "delegates"},
               "organisers": set(docs)}[edition]
    return {docs[name].code for name in allowed}


@pytest.mark.parametrize("slug", PRINTABLES)
def test_every_code_on_every_printable_decodes_and_respects_the_edition(
    client, signed_in, congress, documents, slug
):
    editions = ["organisers"] if slug == "stamped" else ["public", "delegates"]
    for edition in editions:
        for options in PRINTABLES[slug]:
            query = {"edition": edition, **options}
            if slug == "stamped":
                query["code"] = documents["public"].code
            response = client.get(f"/organiser/print/{slug}.pdf", query_string=query)
            assert response.status_code == 200, (query, response.get_data(as_text=True)[:300])
            assert response.mimetype == "application/pdf"
            payloads = decoded_qr_codes(response.get_data())
            assert payloads, f"no QR code decoded on {slug} {query}"
            for payload in payloads:
                assert payload.upper().startswith(BASE_URL.upper()), payload
                code = opened_code(payload)
                if code is not None:
                    assert code in codes_allowed(documents, edition), (slug, query, payload)


def test_the_public_qr_sheet_shows_every_public_document_and_nothing_else(
    client, signed_in, documents
):
    public = client.get("/organiser/print/qr-sheet.pdf", query_string={"grid": "2x3"})
    codes = {opened_code(p) for p in decoded_qr_codes(public.get_data())}
    assert codes == codes_allowed(documents, "public")
    delegates = client.get("/organiser/print/qr-sheet.pdf",
                           query_string={"grid": "2x3", "edition": "delegates"})
    codes = {opened_code(p) for p in decoded_qr_codes(delegates.get_data())}
    assert codes == codes_allowed(documents, "delegates")


def test_the_print_centre_lists_every_printable_with_a_preview(
    client, signed_in, congress, documents
):
    add_delegates(congress, 2)
    html = client.get("/organiser/print/").get_data(as_text=True)
    for slug in PRINTABLES:
        assert f'id="print-{slug}"' in html, slug
        assert f"/organiser/print/{slug}/preview.webp" in html, slug
        assert f'action="/organiser/print/{slug}.pdf"' in html, slug
    assert "Not rendered yet" in html
    for value in ("a5-booklet", "4x5", "a3", "a2", "3x8", "4x10", "bottom-left", "delegates",
                  documents["delegates"].code):
        assert f'value="{value}"' in html, value
    # Delegate cards and the attendance sheet are listed too.
    assert "/organiser/print/cards.pdf" in html
    assert "/organiser/print/attendance-sheet.pdf" in html
    assert "/organiser/print/cards/preview.webp" in html

    assert client.get("/organiser/print/programme.pdf").status_code == 200
    html = client.get("/organiser/print/").get_data(as_text=True)
    section = html.split('id="print-programme"')[1].split("</section>")[0]
    assert "Last rendered:" in section


def test_a_preview_is_the_first_page_small_and_cached(client, signed_in, documents, app):
    first = client.get("/organiser/print/poster/preview.webp", query_string={"size": "a3"})
    assert first.status_code == 200 and first.mimetype == "image/webp"
    assert first.headers["Cache-Control"] == "private, no-cache"
    image = Image.open(io.BytesIO(first.get_data()))
    assert image.width == 240 and 1.3 < image.height / image.width < 1.5  # A3 portrait
    again = client.get("/organiser/print/poster/preview.webp", query_string={"size": "a3"},
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_printable_is_served_with_validators_and_never_publicly_cached(
    client, signed_in, documents
):
    first = client.get("/organiser/print/qr-sheet.pdf")
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "filename*=UTF-8''Document%20QR%20codes" in first.headers["Content-Disposition"]
    again = client.get("/organiser/print/qr-sheet.pdf",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(("path", "query", "status", "message"), [
    ("/organiser/print/programme.pdf", {"edition": "everyone"}, 400, "Unknown edition"),
    ("/organiser/print/programme.pdf", {"layout": "a7"}, 400, "a7"),
    ("/organiser/print/qr-sheet.pdf", {"grid": "9x9"}, 400, "9x9"),
    ("/organiser/print/poster.pdf", {"code": "ZZZZZZ"}, 404, "ZZZZZZ"),
    ("/organiser/print/labels.pdf", {"layout": "<b>2x2</b>"}, 400, "&lt;b&gt;2x2"),
    ("/organiser/print/nothing.pdf", {}, 404, ""),
])
def test_bad_options_get_a_clear_answer(client, signed_in, documents, path, query, status,
                                        message):
    response = client.get(path, query_string=query)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_a_delegates_only_document_is_not_printed_for_the_public(client, signed_in, documents):
    code = documents["delegates"].code
    public = client.get("/organiser/print/poster.pdf", query_string={"code": code})
    assert public.status_code == 404
    for_delegates = client.get("/organiser/print/poster.pdf",
                               query_string={"code": code, "edition": "delegates"})
    assert for_delegates.status_code == 200


def test_card_and_attendance_previews_are_made_in_memory(client, signed_in, congress, app):
    add_delegates(congress, 2)
    for path in ("/organiser/print/cards/preview.webp?layout=a6&pin=slip",
                 "/organiser/print/attendance-sheet/preview.webp"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "image/webp", path
        assert response.headers["Cache-Control"] == "no-store"
    cached = [p.name for p in Path(app.config["CACHE_DIR"]).rglob("*.webp")]
    assert cached == []


# Access ---------------------------------------------------------------------------------


@pytest.fixture
def sample_ids(congress, documents) -> dict:
    delegate = add_delegates(congress, 1)[0]
    return {"slug": "programme", "delegate_id": delegate.id}


def test_the_print_centre_is_for_organisers_only(client, auth, sample_ids):
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    wrong = routes_not_sending_to_sign_in(client, RULES, sample_ids, token)
    assert not wrong, "\n".join(wrong)

    add_user("door", Role.CHECKIN)
    auth.login("door", "pass word")
    token = auth.csrf_token("/")
    wrong = routes_not_refused(client, RULES, sample_ids, token)
    assert not wrong, "\n".join(wrong)
