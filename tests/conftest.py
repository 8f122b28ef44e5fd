"""Fixtures in the style of flaskr: app, client, runner, auth, plus factories for accounts,
delegates, sign-ins and real PDFs.

SQLite by default. With CONGRESS_TEST_DATABASE_URL=postgresql+psycopg://… (what `make test`
sets for its second run, see .ci/with-postgres) the same tests run on PostgreSQL.
"""

from __future__ import annotations

import contextvars
import io
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import (
    AgendaItem,
    Congress,
    CongressSession,
    Delegate,
    DelegateKind,
    Role,
    User,
)
from congress_app.services import intake, page_images
from congress_app.services import users as user_service
from congress_app.services.delegates import card_pin, fold, issue_credentials

from .app_build_cache import SHARED_TEMPLATE_CODE
from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DropSafeHandler, closing_on_drop
from .databases import ON_POSTGRES, TEMPLATE_DATABASE, EmptiedBetweenTests, PostgresDatabases
from .threads import join_all

# Fixtures a few test modules share: registered here, so that a test asks for them by name
# (imported into a module, a fixture reads to ruff as a name its test arguments redefine).
# None of them is autouse: a module that needs one for every test says so in its pytestmark.
pytest_plugins = [
    "tests.accounts_fixtures",
    "tests.archive_samples",
    "tests.checkin_desk",
    "tests.comments_fixtures",
    "tests.reader_fixtures",
    "tests.roster_fixtures",
    "tests.triage_fixtures",
    "tests.votes_fixtures",
]

BASE_URL = "http://congress.test"
ORGANISER = ("organiser", "correct horse battery")


def only_on_sqlite(reason: str):
    """Skip a test on the PostgreSQL run: for behaviour that exists only on SQLite."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"SQLite only: {reason}")


def _config(tmp: Path, database: Path | str) -> dict:
    """Test settings; `database` is an SQLite file or a database URL."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database if isinstance(database, str)
        else f"sqlite:///{database}",
        "FILE_STORE": str(tmp / "files"),
        "CACHE_DIR": str(tmp / "cache"),
        "PUBLIC_BASE_URL": BASE_URL,
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
        "CONGRESS_TIMEZONE": "Asia/Ho_Chi_Minh",
        # Most tests upload documents without looking at page images; the reader tests
        # switch to "sync" or "background" themselves.
        "PAGE_RENDERING": "on-demand",
        "TEMPLATE_BYTECODE_CACHE": SHARED_TEMPLATE_CODE,
        # One round: a real hash costs 0.13 s and the suite signs in about a thousand times
        # (test_auth checks the real method).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    }


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    """The PostgreSQL databases of this run, or None on SQLite."""
    if not ON_POSTGRES:
        yield None
        return
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory, postgres) -> Path | str:
    """An empty database built by the real Alembic migrations, once per run: an SQLite file
    to copy, or on PostgreSQL the URL of a template database (see database_copy)."""
    tmp = tmp_path_factory.mktemp("migrated")
    database = postgres.create(TEMPLATE_DATABASE) if postgres else tmp / "template.sqlite3"
    app = create_app(_config(tmp, database))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database


def database_copy(tmp: Path, migrated_db: Path | str, postgres) -> Path | str:
    """A fresh database of one's own: a copy of the SQLite file, or a PostgreSQL database
    cloned from the template."""
    if postgres is not None:
        return postgres.copy()
    db_file = tmp / "congress.sqlite3"
    shutil.copy(migrated_db, db_file)
    return db_file


@pytest.fixture(scope="session")
def _postgres_app_database(migrated_db, postgres) -> Iterator[EmptiedBetweenTests | None]:
    if postgres is None:
        yield None
        return
    database = EmptiedBetweenTests(postgres.copy())
    yield database
    database.engine.dispose()


@pytest.fixture
def app(tmp_path, migrated_db, _postgres_app_database):
    if _postgres_app_database is not None:
        database = _postgres_app_database.url
    else:
        database = tmp_path / "congress.sqlite3"
        shutil.copy(migrated_db, database)
    app = create_app(_config(tmp_path, database))
    with app.app_context():
        yield app
        page_images.stop_rendering()
        db.session.remove()
        db.engine.dispose()
    if _postgres_app_database is not None:
        _postgres_app_database.empty()


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as under a real server: its own `g` (signed-in
    user, locale) and database session; responses read to the end and closed.

    Without this, requests would share the app fixture's context, and a second client would
    see the first one's signed-in user. Re-read rows a request changed (db.session.expire_all).
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


# Accounts, delegates and signing in --------------------------------------------------------

PASSWORD = "pass word"  # of every account add_user makes
FAST_HASH = "pbkdf2:sha256:1"  # tests are about roles, not password storage (test_auth is)
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE_NAMES = ["Văn", "Thị", "Đức", "Thị Phương", "Hữu", "Ngọc", "Quốc", "Thị Thuỳ"]
GIVEN_NAMES = ["An", "Bình", "Cường", "Dũng", "Hằng", "Thảo", "Tuấn", "Việt", "Yến", "Ước",
               "Kỷ", "Ngữ", "Nguyệt", "Thuỷ", "Khuê", "Lộc", "Hưởng", "Giang", "Ẩn", "Mỹ"]


def add_user(username: str, role: Role = Role.EDITOR, congress: Congress | None = None, *,
             password: str = PASSWORD, **values) -> User:
    """An account, committed: serving every congress, or tied to `congress`."""
    user = User(username=username, role=role, congress_id=congress.id if congress else None,
                password_hash=generate_password_hash(password, FAST_HASH), **values)
    db.session.add(user)
    db.session.commit()
    return user


def add_delegate(congress: Congress, number: int = 7, full_name: str = "Nguyễn Thị Hoà",
                 **fields) -> Delegate:
    """A delegate with a printed card: token and PIN hashes stored, as the roster import does."""
    fields.setdefault("search_name", fold(full_name))
    delegate = Delegate(congress_id=congress.id, number=number, full_name=full_name, **fields)
    db.session.add(delegate)
    db.session.flush()
    issue_credentials(delegate)
    db.session.commit()
    return delegate


def add_delegates(congress: Congress, count: int, *, start: int = 1, **fields) -> list[Delegate]:
    """`count` delegates with distinct Vietnamese names and real credentials, committed."""
    delegates = []
    for i in range(start - 1, start - 1 + count):
        name = (f"{SURNAMES[i % len(SURNAMES)]} {MIDDLE_NAMES[i // 3 % len(MIDDLE_NAMES)]} "
                f"{GIVEN_NAMES[i % len(GIVEN_NAMES)]}")
        values = {
            "full_name": name,
            "search_name": fold(name),
            "unit": f"Chi bộ Khu dân cư số {i % 24 + 1}",
            "discussion_group": f"Tổ {i % 8 + 1}",
            "seat": f"{'ABCDEFGHIJ'[i // 20 % 10]}-{i % 20 + 1:02d}",
            "kind": DelegateKind.OFFICIAL,
        } | fields
        delegates.append(Delegate(congress_id=congress.id, number=i + 1, **values))
    db.session.add_all(delegates)
    db.session.flush()
    for delegate in delegates:
        issue_credentials(delegate)
    db.session.commit()
    return delegates


def sign_in(client, username: str = ORGANISER[0], password: str = ORGANISER[1], *,
            address: str = "127.0.0.1", remember: bool = False, base_url: str | None = None):
    """Fill in the staff login form as a browser at `address` would (at `base_url`, when
    given, with the Referer a browser sends: Flask-WTF wants it over https); the response."""
    where = {"environ_base": {"REMOTE_ADDR": address}}
    if base_url:
        where |= {"base_url": base_url, "headers": {"Referer": f"{base_url}/login"}}
    page = client.get("/login", **where)
    data = {"username": username, "password": password,
            "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **where)


def signed_in_client(app, username: str, password: str = PASSWORD, *,
                     lang: str | None = "en", base_url: str | None = None) -> IsolatedClient:
    """A browser of its own (beside the `client` fixture), signed in through the login form."""
    app.test_client_class = IsolatedClient
    client = app.test_client()
    if lang:
        client.set_cookie("lang", lang, **(
            {"domain": urlsplit(base_url).hostname} if base_url else {}))
    response = sign_in(client, username, password, base_url=base_url)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def pin_sign_in(client, number, pin, *, next_path: str | None = None, address="10.0.0.1"):
    """Fill in the delegates' number + PIN form as a phone at `address` would."""
    page = client.get("/delegate/sign-in", environ_base={"REMOTE_ADDR": address})
    if page.status_code == 302:  # already signed in: the footer's form carries a token too
        page = client.get("/")
    data = {"number": str(number), "pin": pin,
            "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/delegate/sign-in", data=data, environ_base={"REMOTE_ADDR": address})


def wrong_pin(delegate: Delegate) -> str:
    """A well-formed PIN that is not this delegate's."""
    return f"{(int(card_pin(delegate)) + 1) % 10**6:06d}"


def is_signed_in_as(client, delegate: Delegate) -> bool:
    """What the footer of the home page says about who this phone is."""
    page = client.get("/?lang=en").get_data(as_text=True)
    return f"Signed in as delegate {delegate.full_name}" in page


class AuthActions:
    """Sign in and out through the real login form, CSRF token included."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, username: str = ORGANISER[0], password: str = ORGANISER[1]):
        return sign_in(self._client, username, password)

    def csrf_token(self, path: str = "/organiser/") -> str:
        """A valid token for this client's session, read off a page that has a form."""
        return csrf_token_from(self._client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST a form as the browser would, with the session's CSRF token."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self._client.post(path, data=data, **kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def organiser(app):
    """An admin account (hashed with the tests' one-round method)."""
    return user_service.create_user(*ORGANISER, role=Role.ADMIN)


@pytest.fixture
def sign_in_as(client, auth):
    """sign_in_as(role, username, **account): a new account (see add_user) signed in on
    `client` through the login form, reading English unless lang says otherwise (None: the
    default, Vietnamese); returns `auth`, the account as `auth.user`."""

    def sign_in_with(role: Role, username: str, *, lang: str | None = "en",
                     **account) -> AuthActions:
        auth.user = add_user(username, role, **account)
        if lang:
            client.set_cookie("lang", lang)
        auth.login(username, account.get("password", PASSWORD))
        return auth

    return sign_in_with


@pytest.fixture
def signed_in(sign_in_as, congress):
    """An editor signed in through the login form, reading the interface in English."""
    return sign_in_as(Role.EDITOR, "editor")


@pytest.fixture(scope="session")
def pdf_bytes():
    """Render real PDFs with WeasyPrint: make(text, pages) → bytes (memoised per arguments)."""
    from weasyprint import HTML

    cache: dict[tuple[str, int], bytes] = {}

    def make(text: str = "Văn kiện Đại hội", pages: int = 2) -> bytes:
        key = (text, pages)
        if key not in cache:
            body = "".join(
                f'<section style="page-break-after: always"><h1>{text}</h1>'
                f"<p>Trang {n}</p></section>"
                for n in range(1, pages + 1)
            )
            cache[key] = HTML(string=f"<html><body>{body}</body></html>").write_pdf()
        return cache[key]

    return make


@pytest.fixture
def congress(app):
    """A small congress with one session and two items."""
    congress = Congress(
        slug="test",
        title="Đại hội đại biểu Đảng bộ phường Thanh Xuân lần thứ I, nhiệm kỳ 2025–2030",
        organisation="Đảng bộ phường Thanh Xuân",
        parent_organisation="Đảng bộ thành phố Hà Nội",
        ordinal="lần thứ I",
        term="2025–2030",
        venue="Hội trường lớn",
        starts_on=date(2025, 7, 22),
        ends_on=date(2025, 7, 23),
        motto="Đoàn kết - Dân chủ - Kỷ cương - Trách nhiệm - Hiệu quả",
        delegates_expected=168,
        members_represented=7657,
    )
    session = CongressSession(
        congress=congress, name="Phiên chính thức", date=date(2025, 7, 23),
        starts_at=time(7, 30), ends_at=time(11, 30), position=1,
    )
    session.items = [
        AgendaItem(position=1, starts_at=time(7, 30), title="Chào cờ"),
        AgendaItem(position=2, starts_at=time(8, 0), title="Báo cáo chính trị",
                   presenter="Bí thư Đảng ủy phường"),
    ]
    db.session.add_all([congress, session])
    db.session.commit()
    return congress


@pytest.fixture
def make_document(congress, pdf_bytes):
    """Create a document through the service, with a real PDF: make_document(title=…, …)."""

    def make(title: str = "Báo cáo chính trị", filename: str = "Báo cáo chính trị.pdf",
             pdf: bytes | None = None, **kwargs):
        return intake.create_document(
            congress,
            title=title,
            category=kwargs.pop("category", "political_report"),
            upload=intake.Upload(io.BytesIO(pdf or pdf_bytes(title)), filename),
            **kwargs,
        )

    return make


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port in a background thread."""
    server = make_server("127.0.0.1", 0, closing_on_drop(app), threaded=True,
                         request_handler=DropSafeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    join_all([thread], 5)
    server.server_close()


@pytest.fixture
def phone(request):
    """A Playwright page in Debian's Chromium with a phone-sized viewport."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
            has_touch=True, accept_downloads=True, locale="vi-VN",
        )
        page = context.new_page()
        yield page
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can save evidence on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
