"""Private documents never reach anyone not allowed: every GET route, every kind of visitor.

Documents of every visibility × published / unpublished / deleted are linked to the agenda;
then each visitor walks every GET route of the app (found in app.url_map, so routes added
later are covered too) and no response may name a document that visitor may not see.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from congress_app.extensions import db
from congress_app.models import (
    AgendaItem,
    Congress,
    CongressSession,
    Delegate,
    Document,
    DocumentVersion,
    Role,
    User,
)
from congress_app.services import agenda as agenda_service
from congress_app.services import documents as document_service
from congress_app.services import intake
from congress_app.services.delegates import card_token

from .conftest import ORGANISER, add_delegate, add_user, signed_in_client

VISIBILITIES = ("public", "delegates", "organisers")
STATES = ("live", "draft", "gone")  # published, unpublished, deleted
VIEWERS = ("anonymous", "delegate", "other_congress_delegate", "checkin", "organiser",
           "other_congress_admin", "other_congress_editor")
SIGN_IN = "sign-in"  # a redirect to the delegate sign-in page, which comes back afterwards

# What the direct URLs of a document (its page, file and QR images) answer, by visitor.
MATRIX = {
    #                          public               delegates                organisers
    #                          live draft gone      live     draft gone      live draft gone
    "anonymous":               (200, 404, 410,      SIGN_IN, 404,  410,      404, 404, 410),
    "delegate":                (200, 404, 410,      200,     404,  410,      404, 404, 410),
    "other_congress_delegate": (200, 404, 410,      404,     404,  410,      404, 404, 410),
    "checkin":                 (200, 404, 410,      SIGN_IN, 404,  410,      404, 404, 410),
    "organiser":               (200, 200, 410,      200,     200,  410,      200, 200, 410),
    # Organisers tied to the other congress see this one's documents as the public does.
    "other_congress_admin":    (200, 404, 410,      404,     404,  410,      404, 404, 410),
    "other_congress_editor":   (200, 404, 410,      404,     404,  410,      404, 404, 410),
}
# The accounts tied to the other congress, by viewer.
OTHER_CONGRESS_STAFF = {"other_congress_admin": ("admin-b", Role.ADMIN),
                        "other_congress_editor": ("editor-b", Role.EDITOR)}

# Codes made only of letters that never occur in QR SVG path data or by chance in pages.
CODE_LETTERS = {"public": "P", "delegates": "D", "organisers": "R",
                "live": "B", "draft": "F", "gone": "G"}


def expected(viewer: str, visibility: str, state: str):
    """The matrix cell of this visitor and this kind of document."""
    return MATRIX[viewer][VISIBILITIES.index(visibility) * 3 + STATES.index(state)]


def may_know_of(viewer: str, visibility: str, state: str) -> bool:
    """Whether any page may name the document to this visitor: the organisers' own pages
    still list deleted documents (their codes are never reused)."""
    return viewer == "organiser" or expected(viewer, visibility, state) == 200


@dataclass
class Sample:
    """One document of the matrix; its marker word is in its title and its file name."""

    visibility: str
    state: str
    document: Document
    code: str = field(init=False)
    marker: str = field(init=False)

    def __post_init__(self):
        self.code = self.document.code
        self.marker = f"Mtx{self.visibility.title()}{self.state.title()}"


@pytest.fixture
def samples(congress, make_document) -> list[Sample]:
    """Nine documents, all linked to an agenda item before some are unpublished or deleted."""
    item = congress.sessions[0].items[1]
    result = []
    for visibility, state in itertools.product(VISIBILITIES, STATES):
        marker = f"Mtx{visibility.title()}{state.title()}"
        document = make_document(
            title=f"Văn kiện Đại hội {marker}", filename=f"{marker}.pdf",
            visibility=visibility, published=state != "draft",
            code=f"KW{CODE_LETTERS[visibility]}{CODE_LETTERS[state]}XY",
        )
        agenda_service.link_document(item, document)
        result.append(Sample(visibility, state, document))
    for sample in result:
        if sample.state == "gone":
            document_service.delete_document(sample.document)
    return result


@pytest.fixture
def viewers(app, client, congress, organiser):
    """A signed-in (or anonymous) phone or laptop for every kind of visitor, by name.

    `client` makes app.test_client() isolated: each request in its own context."""
    delegate = add_delegate(congress, number=1, full_name="Phạm Thị Dung")
    elsewhere = Congress(slug="other", title="Đại hội Đảng bộ xã Bên Cạnh",
                         organisation="Đảng bộ xã Bên Cạnh", starts_on=date(2025, 7, 1),
                         ends_on=date(2025, 7, 1))
    db.session.add(elsewhere)
    db.session.commit()
    outsider = add_delegate(elsewhere, number=1, full_name="Vũ Văn Ngoài")
    add_user("cua", Role.CHECKIN, password="door pass")
    for username, role in OTHER_CONGRESS_STAFF.values():
        add_user(username, role, elsewhere, password="pass word")

    def phone():
        """A new phone, reading the interface in English."""
        client = app.test_client()
        client.set_cookie("lang", "en")
        return client

    client.set_cookie("lang", "en")
    clients = {"anonymous": client, "delegate": phone(), "other_congress_delegate": phone(),
               "checkin": signed_in_client(app, "cua", "door pass"),
               "organiser": signed_in_client(app, *ORGANISER),
               **{viewer: signed_in_client(app, username, "pass word")
                  for viewer, (username, _role) in OTHER_CONGRESS_STAFF.items()}}
    assert clients["delegate"].get(f"/K/{card_token(delegate)}").status_code == 302
    assert clients["other_congress_delegate"].get(
        f"/K/{card_token(outsider)}").status_code == 302
    return clients


IDENTITY = {
    "anonymous": "Organiser sign-in",
    "delegate": "Signed in as delegate Phạm Thị Dung",
    "other_congress_delegate": "Signed in as delegate Vũ Văn Ngoài",
    "checkin": "Sign out (cua)",
    "organiser": f"Sign out ({ORGANISER[0]})",
    "other_congress_admin": "Sign out (admin-b)",
    "other_congress_editor": "Sign out (editor-b)",
}


# Filling the URL rules -----------------------------------------------------------------------

PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _ids(model) -> list[int]:
    """Every id of a table, for URLs that name a row."""
    return list(db.session.scalars(db.select(model.id).order_by(model.id)))


def url_values(name: str, converter: str | None, samples: list[Sample]) -> list:
    """Real values for a URL placeholder: every document's code and id, real row ids…"""
    known = {
        "code": lambda: [s.code for s in samples],
        "document_id": lambda: [s.document.id for s in samples],
        "session_id": lambda: _ids(CongressSession),
        "item_id": lambda: _ids(AgendaItem),
        "delegate_id": lambda: _ids(Delegate),
        "user_id": lambda: _ids(User),
        "congress_id": lambda: _ids(Congress),
        "congress_slug": lambda: list(db.session.scalars(db.select(Congress.slug))),
        "version_id": lambda: _ids(DocumentVersion),
        "number": lambda: [1],
        "fmt": lambda: ["svg", "png", "pdf"],
        "rest": lambda: ["file", "qr.svg", "version.json"],
        # A card token signs the visitor in as someone else: walk with a wrong one.
        "token": lambda: ["NOTACARDTOKEN"],
    }
    if name in known:
        return known[name]()
    if converter == "int":
        return [1, 2]
    # An unknown text placeholder may well take a document code.
    return ["x", *(s.code for s in samples)]


def every_get_url(app, samples: list[Sample]) -> list[str]:
    """Each GET rule of the app with its placeholders filled in every way, static files aside."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        placeholders = [(name, conv) for conv, name in PLACEHOLDER.findall(rule.rule)]
        choices = [url_values(name, conv or None, samples) for name, conv in placeholders]
        names = [name for name, _conv in placeholders]
        for combination in itertools.product(*choices):
            _domain, path = rule.build(dict(zip(names, combination, strict=True)),
                                       append_unknown=False)
            urls.append(path)
            if not names:  # lists and searches: ask for every matrix document by its word
                urls.append(f"{path}?q=mtx")
    urls.append("/programme.pdf?edition=organisers")
    # …and each congress's, asked for by slug (an organiser of the other one asks too).
    urls += [f"/c/{slug}/programme.pdf?edition=organisers"
             for slug in db.session.scalars(db.select(Congress.slug))]
    return sorted(set(urls))


def _contents(data: bytes) -> list[str]:
    """What a body holds, read inside: a PDF's text and metadata, a ZIP's every member (its
    name, and its bytes read the same way, PDFs within the archive included)."""
    parts = [data.decode("utf-8", "replace")]
    if data.startswith(b"%PDF-"):
        reader = PdfReader(io.BytesIO(data))
        parts += [page.extract_text() or "" for page in reader.pages]
        parts.append(repr(dict(reader.metadata or {})))
    elif data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                parts += [name, *_contents(archive.read(name))]
    return parts


def readable(response) -> str:
    """Everything a response tells: headers, body, a PDF's text, a ZIP's members; upper
    case, no spaces."""
    parts = [f"{key}:{value}" for key, value in response.headers.items()]
    parts += _contents(response.get_data())
    return "".join("".join(parts).split()).replace("\u00ad", "").upper()


def leaks(url: str, response, forbidden: list[Sample]) -> list[str]:
    """Titles and codes of forbidden documents in a response. A code the visitor typed into
    the URL may come back (a redirect names it); the title never may."""
    text = readable(response)
    found = [s.marker for s in forbidden if s.marker.upper() in text]
    found += [s.code for s in forbidden if s.code in text and s.code not in url.upper()]
    return found


# The walk ------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_direct_document_urls_answer_by_the_matrix(viewers, samples, viewer, congress):
    client = viewers[viewer]
    for sample in samples:
        want = expected(viewer, sample.visibility, sample.state)
        code = sample.code
        for path in (f"/d/{code}", f"/d/{code}/file", f"/d/{code}/qr.svg", f"/d/{code}/qr.png",
                     f"/d/{code}/version.json", f"/d/{code.lower()}"):
            response = client.get(path)
            where = f"{viewer} {sample.visibility}/{sample.state} {path}"
            if want == SIGN_IN:
                assert response.status_code == 302, where
                location = urlsplit(response.headers["Location"])
                # The instance holds two congresses: the sign-in page is the document's.
                assert location.path == f"/c/{congress.slug}/delegate/sign-in", where
                assert parse_qs(location.query) == {"next": [f"/d/{code}"]}, where
            elif want == 200 and path == f"/d/{code.lower()}":
                assert response.status_code == 301, where
                assert response.headers["Location"] == f"/d/{code}", where
            else:
                assert response.status_code == want, where


@pytest.mark.parametrize("viewer", VIEWERS)
def test_no_page_names_a_document_its_visitor_may_not_see(app, viewers, samples, viewer,
                                                          congress):
    client = viewers[viewer]
    visible = [s for s in samples if expected(viewer, s.visibility, s.state) == 200]
    forbidden = [s for s in samples if not may_know_of(viewer, s.visibility, s.state)]

    walked, statuses, problems = set(), {}, []
    queue = every_get_url(app, samples)
    while queue:
        url = queue.pop(0)
        if url in walked:
            continue
        walked.add(url)
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        problems += [f"{url} names {leak}" for leak in leaks(url, response, forbidden)]
        location = response.headers.get("Location", "")
        if 300 <= response.status_code < 400 and location.startswith("/"):
            queue.append(location)  # and the page a redirect leads to
    assert not problems, "\n".join(problems)

    # The walk really saw the documents: lists and the programme show what this visitor may see.
    assert sum(status == 200 for status in statuses.values()) >= 10
    # Two congresses share the instance: the matrix documents' congress is named by its slug.
    home = f"/c/{congress.slug}"
    for path in (f"{home}/documents", f"{home}/programme"):
        text = readable(client.get(path))
        for sample in visible:
            if sample.state != "gone":
                assert sample.marker.upper() in text, f"{viewer}: {sample.marker} not in {path}"
    printed = readable(client.get(f"{home}/programme.pdf"))
    assert "MTXPUBLICLIVE" in printed and "MTXDELEGATESLIVE" not in printed
    if viewer == "organiser":
        internal = readable(client.get(f"{home}/programme.pdf?edition=organisers"))
        assert "MTXORGANISERSLIVE" in internal
    # Nothing on the way signed this visitor out or in as someone else.
    assert IDENTITY[viewer] in client.get("/").get_data(as_text=True)


# The congress archive, read inside -----------------------------------------------------------


def _archive(client, full: bool) -> tuple[str, set[str]]:
    """The archive an admin downloads of their congress: everything it tells, read inside,
    and the sha256 of every stored file it holds."""
    if full:
        page = client.get("/organiser/export").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post("/organiser/export-full.zip",
                               data={"understood": "y", "csrf_token": token})
    else:
        response = client.get("/organiser/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        files = {name.removeprefix("files/") for name in archive.namelist()
                 if name.startswith("files/")}
    return readable(response), files


@pytest.mark.parametrize("full", [False, True], ids=["archive", "full-backup"])
def test_an_archive_holds_its_own_congress_s_documents_and_nothing_of_another(
        viewers, samples, full, pdf_bytes):
    elsewhere = db.session.scalar(db.select(Congress).where(Congress.slug == "other"))
    theirs = intake.create_document(
        elsewhere, title="Văn kiện MtxElsewhere", category="political_report",
        visibility="organisers", published=False,
        upload=intake.Upload(io.BytesIO(pdf_bytes("MtxElsewhere")),
                                       "MtxElsewhere.pdf"))
    ours, our_files = _archive(viewers["organiser"], full)
    other, other_files = _archive(viewers["other_congress_admin"], full)
    for sample in samples:
        shas = {version.sha256 for version in sample.document.versions}
        # A congress's archive is its whole record: hidden and deleted documents included…
        assert sample.marker.upper() in ours and shas <= our_files, sample.marker
        # …and another congress's archive holds no title, code or file of them.
        assert sample.marker.upper() not in other and sample.code not in other, sample.marker
        assert not shas & other_files, sample.marker
    assert "MTXELSEWHERE" in other and "MTXELSEWHERE" not in ours
    assert not {version.sha256 for version in theirs.versions} & our_files
    # Editors, of either congress, get no archive at all.
    assert viewers["other_congress_editor"].get("/organiser/export.zip").status_code == 403
