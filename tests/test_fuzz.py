"""Hostile input to every form, upload and query string: no route answers 5xx, and the
database and the file store stay consistent after every request.

The routes come from the app's URL map and the field names from the forms the pages really
render (parsed with html.parser), so a new form or route is fuzzed the moment it exists.
CI runs a few derandomized examples per route; for a longer exploratory run:

    FUZZ_EXAMPLES=300 pytest -q tests/test_fuzz.py -p no:cacheprovider

(FUZZ_EXAMPLES also turns derandomization off, so each run explores new inputs.)
"""

from __future__ import annotations

import io
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from congress_app.extensions import db
from congress_app.models import CongressSession, DelegateKind, Document, DocumentVersion
from congress_app.services import agenda as agenda_service
from congress_app.services import delegates as delegate_service

from .conftest import ORGANISER
from .fuzzing import (
    GET_RULES,
    POST_RULES,
    QUERY_KEYS,
    SLOW_SUFFIXES,
    Fuzzer,
    assert_consistent,
    fuzz_settings,
)


@pytest.fixture
def fuzz(app, client, auth, organiser, congress, make_document, pdf_bytes) -> Fuzzer:
    """CSRF off (the fuzz is about what the views do with the values, and a token per
    request would double the requests), the organiser signed in, one of each object."""
    document = make_document()
    agenda_service.link_document(congress.sessions[0].items[0], document)
    delegate_service.create_delegate(congress, number=1, full_name="Nguyễn Văn An", unit="Tổ 1",
                                   discussion_group="1", seat="A-1", kind=DelegateKind.OFFICIAL)
    assert auth.login(*ORGANISER).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    return Fuzzer(app, client, pdf_bytes())


# The tests ------------------------------------------------------------------------------------


def _no_server_error(response, method: str, path: str) -> None:
    assert response.status_code < 500, (
        f"{method} {path} answered {response.status_code}:\n"
        f"{response.get_data(as_text=True)[:2000]}")


def test_the_routes_and_query_keys_come_from_the_app():
    endpoints = {endpoint for endpoint, _rule in POST_RULES}
    assert {"organiser.document_new", "organiser.document_replace", "roster.import_roster",
            "roster.import_confirm", "auth.login"} <= endpoints
    assert {"q", "page", "lang", "edition", "since", "layout", "w"} <= set(QUERY_KEYS)


def test_the_crawl_finds_the_forms_and_their_upload_fields(fuzz):
    """Field names come from the rendered pages: the uploads must be seen as file fields,
    or the upload fuzz would only ever send text."""
    for endpoint in ("organiser.document_new", "organiser.document_replace",
                     "roster.import_roster"):
        kinds = {spec.kind for spec in fuzz.form_fields(endpoint, "POST").values()}
        assert "file" in kinds, endpoint
    assert {"title", "category", "visibility"} <= set(
        fuzz.form_fields("organiser.document_edit", "POST"))
    assert "q" in fuzz.form_fields("search.search", "GET")


def test_a_row_id_too_large_for_the_database_is_a_404(fuzz):
    """Regression: /organiser/documents/9223372036854775808 reached SQLite and failed with
    OverflowError (500); on PostgreSQL anything past 2**31 - 1 overflows INTEGER."""
    for number in (2**31, 2**63, 10**30):
        for path in (f"/organiser/documents/{number}", f"/organiser/sessions/{number}/edit",
                     f"/organiser/delegates/{number}",
                     f"/organiser/documents/1/versions/{number}/file"):
            assert fuzz.send("GET", path).status_code == 404, path
    assert fuzz.send("GET", f"/organiser/documents/{2**31 - 1}").status_code == 404
    assert fuzz.send("GET", "/organiser/documents/1").status_code == 200


# The generated examples run once, in the PostgreSQL pass: the stricter database (NUL,
# INTEGER's range); the regressions below, each found on one database, run on both.
@pytest.mark.database_agnostic
@pytest.mark.parametrize(("endpoint", "rule"), POST_RULES, ids=[e for e, _ in POST_RULES])
def test_hostile_forms_never_cause_a_server_error(fuzz, endpoint, rule):
    uploads = any(f.kind == "file" for f in fuzz.form_fields(endpoint, "POST").values())

    @fuzz_settings(12 if uploads else 5)
    @given(data=st.data())
    def post(data):
        path = fuzz.path(data, rule)
        if data.draw(st.booleans(), label="with query"):
            path += "?" + fuzz.query(data, endpoint)
        response = fuzz.send("POST", path, data=fuzz.form_data(data, endpoint))
        _no_server_error(response, "POST", path)
        assert_consistent()

    post()


def _get_fuzzer(fuzz: Fuzzer, endpoint: str, rule: str):
    @fuzz_settings(2 if rule.endswith(SLOW_SUFFIXES) else 5)
    @given(data=st.data())
    def get(data):
        path = fuzz.path(data, rule) + "?" + fuzz.query(data, endpoint)
        response = fuzz.send("GET", path)
        _no_server_error(response, "GET", path)

    return get


@pytest.mark.database_agnostic
def test_hostile_query_strings_never_cause_a_server_error(fuzz):
    """Every GET route with hostile path parameters and query strings (one app for all:
    GETs change nothing, and a fixture per route would cost more than the requests)."""
    failures = []
    for endpoint, rule in GET_RULES:
        try:
            _get_fuzzer(fuzz, endpoint, rule)()
        except Exception as error:  # noqa: BLE001 - every route's failure, not the first only
            notes = "\n".join(getattr(error, "__notes__", []))
            failures.append(f"GET {rule}: {error!r}\n{notes}")
    assert not failures, "\n\n".join(failures)
    assert_consistent()


# Found by the fuzz: digits Python's str.isdigit() accepts but int() refuses ("²"), and
# numbers past the database's INTEGER range. Each answered 500 before its fix.
ODD_NUMBERS = ("²", "9" * 40)


@pytest.mark.parametrize("value", ODD_NUMBERS)
@pytest.mark.parametrize("request_line", [
    "GET /organiser/print/card?number={}",
    "GET /d/{code}?page={}",
    "GET /organiser/delegates/?q={}",
    "GET /organiser/delegates/?page={}",
    "GET /organiser/audit?account={}",
    "GET /organiser/audit?page={}",
    "GET /organiser/audit.csv?account={}",
    "POST /checkin/number number={}",
    "POST /organiser/sessions/{session_id}/edit name=Phiên&edit_version={}",
    "POST /organiser/documents/{document_id}/edit title=T&category=other&visibility=public"
    "&edit_version={}",
    "POST /organiser/items/{item_id}/edit session={session_id}&title=T&edit_version={}",
    "POST /organiser/congress title=T&delegates_expected={}&members_represented={}",
])
def test_odd_numbers_are_refused_or_ignored_not_a_server_error(fuzz, request_line, value):
    method, _space, rest = request_line.partition(" ")
    path, _space, body = rest.partition(" ")
    ids = fuzz.ids()
    path = path.replace("{}", quote(value)).format(**ids)
    data = dict(pair.split("=", 1) for pair in body.replace("{}", value).format(**ids)
                .split("&")) if body else None
    response = fuzz.send(method, path, data=data)
    _no_server_error(response, method, path)
    assert_consistent()


@pytest.mark.parametrize("query", ["until=9999-12-31", "since=0001-01-01",
                                   "since=9999-12-31&until=9999-12-31"])
def test_audit_days_out_of_range_are_refused_with_a_message(fuzz, query):
    """Regression: ?until=9999-12-31 overflowed datetime (the filter adds a day): 500."""
    fuzz.client.set_cookie("lang", "vi")
    response = fuzz.send("GET", f"/organiser/audit?{query}")
    assert response.status_code == 400
    assert "quá xa trong quá khứ hoặc tương lai" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["code=ABCDEF", "_scheme=javascript", "_external=1",
                                   "_anchor=x%22%3E"])
def test_the_lower_case_redirect_does_not_pass_the_query_to_url_for(fuzz, query):
    """Regression: /d/<code in lower case>?code=… gave url_for two `code`s (TypeError, 500),
    and ?_scheme=… or ?_external=… were taken as url_for's own options."""
    code = fuzz.ids()["code"]
    if code.lower() == code:  # digits only (1 code in ~3,700): nothing to redirect from
        document = db.session.scalar(select(Document).where(Document.code == code))
        document.code = code = "AB" + code[2:]
        db.session.commit()
    response = fuzz.send("GET", f"/d/{code.lower()}?page=2&{query}")
    assert response.status_code == 301
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path, location.query,
            location.fragment) in {("", "", f"/d/{code}", "page=2", ""),
                                   ("http", "localhost", f"/d/{code}", "page=2", "")}


@pytest.mark.parametrize("name", ["x" * 255, "ắ" * 253 + ".p", "a" * 251 + ".txt"])
def test_a_file_name_at_the_limit_without_pdf_still_fits_its_column(fuzz, name):
    """Regression: a 255-character name without .pdf became 259 characters once the
    extension was added: fine on SQLite, a 500 on PostgreSQL (VARCHAR(255))."""
    response = fuzz.send("POST", "/organiser/documents/new", data={
        "title": "Tên tệp dài", "category": "other", "visibility": "public", "published": "y",
        "file": (io.BytesIO(fuzz.pdf), name)})
    _no_server_error(response, "POST", "/organiser/documents/new")
    assert_consistent()
    stored = db.session.scalars(select(DocumentVersion.original_filename).join(Document).where(
        Document.title == "Tên tệp dài")).all()
    assert len(stored) == 1 and len(stored[0]) <= 255 and stored[0].endswith(".pdf")


@pytest.mark.parametrize("request_line", [
    "GET /search?q=a%00b", "GET /c/{congress_slug}/search?q=%00", "GET /organiser/delegates/?q=%00",
    "GET /organiser/audit?action=%00", "POST /organiser/sessions/{session_id}/edit",
    "POST /organiser/congress",
])
def test_a_nul_character_is_refused_everywhere(fuzz, request_line):
    """Regression: PostgreSQL refuses U+0000 in text (psycopg DataError, a 500) where
    SQLite stored or searched it silently; found by the fuzz on the PostgreSQL run."""
    method, _space, path = request_line.partition(" ")
    path = path.format(**fuzz.ids())
    data = {"name": "Phiên\x00", "title": "Đại hội\x00"} if method == "POST" else None
    assert fuzz.send(method, path, data=data).status_code == 400
    assert_consistent()
    assert db.session.scalars(select(CongressSession.name)).all() == ["Phiên chính thức"]
