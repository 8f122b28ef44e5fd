"""Printouts follow the language the organiser picks in the print centre, not the interface's;
the public programme follows the visitor's language and says so to caches (Vary)."""

from __future__ import annotations

from pathlib import Path

import pytest

from congress_app.extensions import db
from congress_app.pdf.printables import PRINTABLES

from .conftest import add_delegates
from .pdf_reading import pdf_text as raw_pdf_text

pytestmark = pytest.mark.database_agnostic

# Per printable: the options to print it with, then a label it prints in English and the
# Vietnamese translation of that label (from the catalog), which the English print lacks.
LABELS = {
    "programme": ({}, "Documents of the congress", "Văn kiện, tài liệu Đại hội"),
    "qr-sheet": ({}, "Working rules", "Quy chế làm việc"),
    "poster": ({}, "Scan with your phone's camera to open", "Quét bằng camera điện thoại để mở"),
    "table-tent": ({}, "Fold here", "Gấp tại đây"),
    "labels": ({}, "Working rules", "Quy chế làm việc"),
}
# How the cache names each printable's files (pdf/<kind>-<sha256>.pdf).
KINDS = {slug: printable.kind for slug, printable in PRINTABLES.items()}


@pytest.fixture
def documents(congress, make_document):
    """Two public documents whose titles say nothing in either language."""
    return [make_document("Tài liệu số 1", category="working_rules"),
            make_document("Tài liệu số 2", category="working_rules")]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text in lower case: the print CSS sets some labels in capitals."""
    return raw_pdf_text(pdf).casefold()


def cached_files(app, kind: str, suffix: str = ".pdf") -> set[str]:
    folder = Path(app.config["CACHE_DIR"]) / "pdf"
    return {p.name for p in folder.glob(f"{kind}-*{suffix}")
            if len(p.name) == len(kind) + 65 + len(suffix)}


def test_the_print_centre_offers_the_language_with_the_organisers_own_checked(
    client, signed_in, congress, documents
):
    add_delegates(congress, 1)
    html = client.get("/organiser/print/").get_data(as_text=True)
    assert "Language of the printout" in html
    # Every printable, the cards, the reprint and the attendance sheet: English is checked.
    for slug in [*PRINTABLES, "cards", "one-card", "attendance"]:
        assert f'id="{slug}-language-en" name="language" value="en" checked' in html, slug
        assert f'id="{slug}-language-vi" name="language" value="vi">' in html, slug
    client.set_cookie("lang", "vi")
    html = client.get("/organiser/print/").get_data(as_text=True)
    assert "Ngôn ngữ bản in" in html
    assert 'id="programme-language-vi" name="language" value="vi" checked' in html


@pytest.mark.parametrize("slug", LABELS)
def test_each_printable_prints_in_the_language_asked_for(app, client, signed_in, documents,
                                                         slug):
    options, english, vietnamese = (LABELS[slug][0], *(t.casefold() for t in LABELS[slug][1:]))
    url = f"/organiser/print/{slug}.pdf"
    printed = {}
    for language in ("en", "vi"):
        response = client.get(url, query_string={**options, "language": language})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        printed[language] = response.get_data()
    assert english in pdf_text(printed["en"]) and vietnamese not in pdf_text(printed["en"])
    assert vietnamese in pdf_text(printed["vi"]) and english not in pdf_text(printed["vi"])
    assert printed["en"] != printed["vi"]
    assert len(cached_files(app, KINDS[slug])) == 2  # one file per language
    # The organiser reads the interface in English: that is the default, from the cache.
    default = client.get(url, query_string=options)
    assert default.get_data() == printed["en"]
    assert len(cached_files(app, KINDS[slug])) == 2
    # Asking for a printout's language never changes the organiser's own.
    assert "lang=" not in default.headers.get("Set-Cookie", "")


def test_the_programme_prints_dates_in_the_language_asked_for(client, signed_in, documents):
    english = pdf_text(client.get("/organiser/print/programme.pdf?language=en").get_data())
    vietnamese = pdf_text(client.get("/organiser/print/programme.pdf?language=vi").get_data())
    # The session is on Wednesday 23 July 2025.
    assert "wednesday" in english and "thứ tư" not in english
    assert "thứ tư" in vietnamese and "wednesday" not in vietnamese


def test_a_stamped_document_is_cached_apart_per_language(app, client, signed_in, documents):
    for language in ("en", "vi", "en"):
        response = client.get("/organiser/print/stamped.pdf",
                              query_string={"code": documents[0].code, "language": language})
        assert response.status_code == 200
    assert len(cached_files(app, KINDS["stamped"])) == 2


def test_each_language_has_its_own_preview(app, client, signed_in, documents, congress):
    congress.follow_browser_language = True  # so Accept-Language may choose, and is in Vary
    db.session.commit()
    previews = {}
    for language in ("en", "vi"):
        response = client.get("/organiser/print/table-tent/preview.webp",
                              query_string={"language": language})
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert {"Accept-Language", "Cookie"} <= set(response.vary)
        previews[language] = response
    assert previews["en"].headers["ETag"] != previews["vi"].headers["ETag"]
    assert previews["en"].get_data() != previews["vi"].get_data()
    assert len(cached_files(app, KINDS["table-tent"], ".preview.webp")) == 2


def test_cards_print_in_the_language_asked_for(client, signed_in, congress):
    delegate = add_delegates(congress, 2)[0]
    for path in ("/organiser/print/cards.pdf",
                 f"/organiser/print/delegates/{delegate.id}/card.pdf"):
        english = pdf_text(client.get(path, query_string={"language": "en"}).get_data())
        vietnamese = pdf_text(client.get(path, query_string={"language": "vi"}).get_data())
        assert "personal sign-in" in english and "đăng nhập cá nhân" not in english, path
        assert "đăng nhập cá nhân" in vietnamese and "personal sign-in" not in vietnamese, path
    # The reprint form's answer keeps the language on its way to the card.
    response = client.get("/organiser/print/card",
                          query_string={"number": "1", "language": "vi"})
    assert response.status_code == 302 and "language=vi" in response.headers["Location"]
    # The specimen card of the print centre too.
    previews = [client.get("/organiser/print/cards/preview.webp",
                           query_string={"language": language}).get_data()
                for language in ("en", "vi")]
    assert previews[0] != previews[1]


def test_the_attendance_sheet_prints_labels_and_numbers_in_the_language_asked_for(
    client, signed_in, congress
):
    add_delegates(congress, 3)
    english = pdf_text(client.get("/organiser/print/attendance-sheet.pdf?language=en")
                       .get_data())
    vietnamese = pdf_text(client.get("/organiser/print/attendance-sheet.pdf?language=vi")
                          .get_data())
    assert "signature" in english and "ký tên" not in english
    assert "ký tên" in vietnamese and "signature" not in vietnamese
    # 0 of 168 expected: the decimal separator is the language's.
    assert "(0.0%)" in english and "(0,0%)" in vietnamese
    previews = [client.get("/organiser/print/attendance-sheet/preview.webp",
                           query_string={"language": language}).get_data()
                for language in ("en", "vi")]
    assert previews[0] != previews[1]


@pytest.mark.parametrize("path", [
    "/organiser/print/programme.pdf",
    "/organiser/print/poster/preview.webp",
    "/organiser/print/cards.pdf",
    "/organiser/print/card?number=1",
    "/organiser/print/delegates/{id}/card.pdf",
    "/organiser/print/cards/preview.webp",
    "/organiser/print/attendance-sheet.pdf",
    "/organiser/print/attendance-sheet/preview.webp",
])
def test_an_unknown_language_is_refused_in_the_organisers_language(
    client, signed_in, congress, documents, path
):
    delegate = add_delegates(congress, 1)[0]
    path = path.replace("{id}", str(delegate.id))
    joiner = "&" if "?" in path else "?"
    response = client.get(f"{path}{joiner}language=fr")
    assert response.status_code == 400
    assert "Unknown language of the printout “fr”" in response.get_data(as_text=True)
    client.set_cookie("lang", "vi")
    response = client.get(f"{path}{joiner}language=<b>x</b>")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Không có ngôn ngữ bản in “&lt;b&gt;x&lt;/b&gt;”" in html


def test_the_public_programme_follows_the_visitors_language_and_varies_by_it(
    app, client, documents, congress
):
    congress.follow_browser_language = True  # the phone's language chooses (off by default)
    db.session.commit()
    printed = {}
    for language in ("en", "vi"):
        response = client.get("/programme.pdf", headers={"Accept-Language": language})
        assert response.status_code == 200
        assert {"Accept-Language", "Cookie"} <= set(response.vary)
        printed[language] = response
    assert "documents of the congress" in pdf_text(printed["en"].get_data())
    assert "văn kiện, tài liệu đại hội" in pdf_text(printed["vi"].get_data())
    assert printed["en"].headers["ETag"] != printed["vi"].headers["ETag"]
    assert len(cached_files(app, KINDS["programme"])) == 2
    # The remembered language (the cookie) selects it too.
    client.set_cookie("lang", "en")
    again = client.get("/programme.pdf", headers={"Accept-Language": "vi"})
    assert again.get_data() == printed["en"].get_data()


@pytest.mark.parametrize(("path", "english", "vietnamese"), [
    ("/organiser/print/qr-sheet.pdf", "Document QR codes", "Mã QR tài liệu"),
    ("/organiser/print/programme.pdf", "Congress programme", "Chương trình Đại hội"),
    ("/organiser/print/cards.pdf", "Delegate cards", "Thẻ đại biểu"),
    ("/organiser/print/attendance-sheet.pdf", "Attendance list of the congress",
     "Danh sách đại biểu dự Đại hội"),
])
def test_the_download_name_is_in_the_printouts_language(client, signed_in, congress, documents,
                                                        path, english, vietnamese):
    from urllib.parse import quote

    add_delegates(congress, 2)
    for language, title in (("en", english), ("vi", vietnamese)):
        response = client.get(path, query_string={"language": language})
        assert response.status_code == 200
        assert f"filename*=UTF-8''{quote(title)}%20-%20" in response.headers[
            "Content-Disposition"], (language, response.headers["Content-Disposition"])


def test_the_public_programme_is_named_in_the_visitors_language(client, congress, documents):
    client.set_cookie("lang", "en")
    assert "filename*=UTF-8''Programme%20-%20" in client.get(
        "/programme.pdf").headers["Content-Disposition"]
    client.set_cookie("lang", "vi")
    assert "filename*=UTF-8''Ch%C6%B0%C6%A1ng%20tr%C3%ACnh%20-%20" in client.get(
        "/programme.pdf").headers["Content-Disposition"]
