"""Fixtures in the style of flaskr: app, client, runner, auth, plus factories for real PDFs.

SQLite by default. With CONGRESS_TEST_DATABASE_URL=postgresql+psycopg://… (what `make test`
sets for its second run, see .ci/with-postgres) the same tests run on PostgreSQL.
"""

from __future__ import annotations

import contextvars
import io
import itertools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path
from time import monotonic
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash
from werkzeug.serving import WSGIRequestHandler, make_server

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import AgendaItem, Congress, CongressSession, Role, User
from congress_app.services import intake, page_images
from congress_app.services import users as user_service

BASE_URL = "http://congress.test"
ORGANISER = ("organiser", "correct horse battery")
TEST_DATABASE_URL = os.environ.get("CONGRESS_TEST_DATABASE_URL", "")
ON_POSTGRES = bool(TEST_DATABASE_URL) and (
    sa.make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql")
if TEST_DATABASE_URL and not ON_POSTGRES:
    raise RuntimeError(f"CONGRESS_TEST_DATABASE_URL must be postgresql+psycopg://…, not "
                       f"{TEST_DATABASE_URL!r}")
TEMPLATE_DATABASE = "congress_template"


def only_on_sqlite(reason: str):
    """Skip a test on the PostgreSQL run: for behaviour that exists only on SQLite."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"SQLite only: {reason}")


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates kept in memory for the whole run. Every test builds its own app,
    and compiling the templates afresh for each was about a fifth of a simple test's time;
    Jinja keys the code by template name and source checksum, so nothing stale is reused."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


SHARED_TEMPLATE_CODE = _SharedTemplateCode()


def _share_url_builders() -> None:
    """Build each URL rule's url_for function once per run, not once per app.

    create_app() binds ~110 rules, and Werkzeug compiles two small Python functions for
    each from the rule's parsed parts: about half of building an app, which every test
    does. The functions depend only on those parts and defaults (converters are reached
    through the rule at call time), so apps can share them.
    """
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared", False):
        return  # another Werkzeug: build per app, as without this
    built: dict[tuple, object] = {}

    def shared(self: Rule, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
               append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    shared.shared = True
    Rule._compile_builder = shared


_share_url_builders()


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


def _database_url(name: str) -> str:
    """The URL of another database on the test PostgreSQL server."""
    return sa.make_url(TEST_DATABASE_URL).set(database=name).render_as_string(
        hide_password=False)


class PostgresDatabases:
    """Databases on the test server, cloned from the migrated template and dropped at the end."""

    def __init__(self) -> None:
        self.server = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT",
                                       poolclass=sa.pool.NullPool)
        self.made: list[str] = []
        self._numbers = itertools.count(1)

    def create(self, name: str, template: str | None = None) -> str:
        with self.server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (
                f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)
        return _database_url(name)

    def copy(self) -> str:
        """A new database holding the migrated, empty schema."""
        return self.create(f"congress_copy_{next(self._numbers)}", TEMPLATE_DATABASE)

    def drop_all(self) -> None:
        with self.server.connect() as connection:
            for name in reversed(self.made):
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.server.dispose()


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


class EmptiedBetweenTests:
    """One PostgreSQL database for the `app` fixture, emptied after each test: a TRUNCATE
    of every table (alembic_version aside) takes ~13 ms on the test cluster, a CREATE
    DATABASE from the template ~35 ms, and needs every connection closed first."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with self.engine.connect() as connection:
            tables = connection.scalars(sa.text(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = "
                "current_schema() AND tablename <> 'alembic_version' ORDER BY tablename"))
            self.truncate = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"

    def empty(self) -> None:
        with self.engine.begin() as connection:
            # A connection a test left open would make TRUNCATE wait for ever: fail instead.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql(self.truncate)


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


def blueprint_routes(blueprint: str) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route of a blueprint, so access tests cover a new
    route the moment it is added."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{blueprint}.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def route_path(rule: str, ids: dict[str, int]) -> str:
    """A URL rule with its <params> filled from sample ids (an unknown param fails loudly)."""
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        assert name in ids, f"no sample value for <{name}> in {rule}: add one to sample_ids"
        return str(ids[name])

    return re.sub(r"<([^>]+)>", value, rule)


def open_route(client, method: str, path: str, token: str | None):
    """GET or POST a route as a browser form would (with the CSRF token when given)."""
    data = {"csrf_token": token} if method == "POST" else None
    return client.open(path, method=method, data=data)


def routes_not_sending_to_sign_in(client, rules, ids: dict, token: str | None) -> list[str]:
    """Each route opened anonymously; those that do not redirect to /login?next=<path>."""
    wrong = []
    for endpoint, rule, method in rules:
        path = route_path(rule, ids)
        response = open_route(client, method, path, token)
        location = urlsplit(response.headers.get("Location", ""))
        if not (response.status_code == 302 and location.path == "/login"
                and parse_qs(location.query).get("next") == [path]):
            wrong.append(f"{method} {path} ({endpoint}): {response.status_code} "
                         f"{response.headers.get('Location')}")
    return wrong


def routes_not_refused(client, rules, ids: dict, token: str | None) -> list[str]:
    """Each route opened by the signed-in account; those that do not answer 403."""
    wrong = []
    for endpoint, rule, method in rules:
        path = route_path(rule, ids)
        response = open_route(client, method, path, token)
        if response.status_code != 403:
            wrong.append(f"{method} {path} ({endpoint}): {response.status_code}")
    return wrong


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


class AuthActions:
    """Sign in and out through the real login form, CSRF token included."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, username: str = ORGANISER[0], password: str = ORGANISER[1]):
        token = csrf_token_from(self._client.get("/login").get_data(as_text=True))
        return self._client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

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
def signed_in(client, auth, congress):
    """An editor signed in through the login form, reading the interface in English."""
    db.session.add(User(username="editor", role=Role.EDITOR,
                        password_hash=generate_password_hash("pass word", "pbkdf2:sha256:1")))
    db.session.commit()
    client.set_cookie("lang", "en")
    auth.login("editor", "pass word")
    return auth


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


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


_RESPONSE_KEY = "congress_app.tests.response"


def closing_on_drop(app):
    """Remember each response body, so a dropped connection can close it (see below)."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        environ[_RESPONSE_KEY] = body
        return body

    return wsgi


class DropSafeHandler(WSGIRequestHandler):
    """Werkzeug's test server forgets to close a response's file when the browser drops the
    connection mid-transfer (it reads the socket again before closing the body, and that
    read fails): the open file would surface later as a ResourceWarning in another test."""

    def connection_dropped(self, error, environ=None) -> None:
        body = (environ or {}).get(_RESPONSE_KEY)
        if body is not None and hasattr(body, "close"):
            body.close()


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port in a background thread."""
    server = make_server("127.0.0.1", 0, closing_on_drop(app), threaded=True,
                         request_handler=DropSafeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
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


def wait_for_js(page, expression: str, timeout: float = 5000) -> None:
    """Wait until a JavaScript expression is truthy in the page, polled from Python.

    Playwright's own wait_for_function compiles its string with eval inside the page, which
    the app's Content-Security-Policy (script-src 'self') forbids; page.evaluate is not.
    """
    deadline = monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(50)
