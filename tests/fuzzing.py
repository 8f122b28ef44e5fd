"""The fuzz's machinery: routes and forms from the app, the Fuzzer, the consistency check."""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from congress_app import create_app
from congress_app.extensions import db
from congress_app.models import (
    AgendaItem,
    Congress,
    CongressSession,
    Delegate,
    Document,
    DocumentVersion,
)
from congress_app.pdf.printables import PRINTABLES
from congress_app.services.documents import CODE_ALPHABET, CODE_LENGTH
from congress_app.services.store_check import check_store
from congress_app.storage import file_store

from .fuzz_strategies import (
    CODE_LIKE,
    HOSTILE_FILENAMES,
    HOSTILE_TEXT,
    field_value,
    hostile_file_bodies,
    roster_csv,
)

EXPLORING = int(os.environ.get("FUZZ_EXAMPLES", "0"))
SOURCE = os.path.join(os.path.dirname(__file__), os.pardir, "congress_app")
SLOW_SUFFIXES = (".pdf", ".webp", ".zip")  # each valid request renders with WeasyPrint
NOT_HTML = (*SLOW_SUFFIXES, ".csv", ".json", ".js", ".webmanifest", ".svg", ".png", "file")


def _rules() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) of every route but static files, from the URL map."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


RULES = _rules()
POST_RULES = [(e, r) for e, r, m in RULES if m == "POST"]
GET_RULES = [(e, r) for e, r, m in RULES if m == "GET"]


def _query_keys() -> list[str]:
    """Every query-string key the app reads anywhere (request.args, print options …)."""
    keys = {"lang", "next", "page", "q"}
    pattern = re.compile(
        r"""args(?:\.get\(|\[)\s*["'](\w+)["']"""
        r"""|parse_\w+\(\s*args,\s*["'](\w+)["']"""
        r"""|int_arg\(\s*["'](\w+)["']"""
        r"""|_parse_day\(\s*["'](\w+)["']""")
    for folder, _dirs, files in os.walk(SOURCE):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as source:
                    for match in pattern.finditer(source.read()):
                        keys.update(k for k in match.groups() if k)
    return sorted(keys)


QUERY_KEYS = _query_keys()


def fuzz_settings(examples: int):
    """Few derandomized examples in CI (reproducible); many random ones when exploring."""
    return settings(
        max_examples=EXPLORING or examples,
        deadline=None,
        derandomize=not EXPLORING,
        database=None,
        # No shrinking: on a shared CI machine it can take minutes, and the unshrunk
        # example (every draw is labelled) already names the route and the values.
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# Forms as the pages render them --------------------------------------------------------------


@dataclass
class Field:
    kind: str  # text, select, checkbox, date, time, number, hidden, file, textarea …
    options: list[str] = field(default_factory=list)
    current: str = ""
    accept: str = ""


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, Field] = field(default_factory=dict)


class FormParser(HTMLParser):
    """Every <form> of a page with its named inputs, selects, textareas and buttons."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("method", "get").lower(), a.get("action") or self.page))
            return
        if not self.forms or not a.get("name") or a["name"] == "csrf_token":
            if tag == "option" and self._select is not None:
                self._select.options.append(a.get("value", ""))
            return
        fields = self.forms[-1].fields
        if tag == "input":
            kind = a.get("type", "text").lower()
            fields.setdefault(a["name"], Field(kind, current=a.get("value", ""),
                                               accept=a.get("accept", "")))
            if kind in {"radio", "submit"}:
                fields[a["name"]].kind = "select"
                fields[a["name"]].options.append(a.get("value", ""))
        elif tag == "button":
            button = fields.setdefault(a["name"], Field("select"))
            button.options.append(a.get("value", ""))
        elif tag == "select":
            self._select = fields.setdefault(a["name"], Field("select"))
        elif tag == "textarea":
            fields.setdefault(a["name"], Field("textarea"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


# What a form field of each WTForms type renders as, for forms no crawled page showed.
WTFORMS_KINDS = {"DayField": "date", "ClockField": "time", "CountField": "number",
                 "NumberField": "number", "ChoiceField": "select", "BooleanField": "checkbox",
                 "HiddenField": "hidden", "FileField": "file", "TextAreaField": "textarea"}


def _all_form_fields() -> dict[str, Field]:
    """The fields of every Flask-WTF form class of the web package: the fallback for a POST
    route whose form only appears in a state the crawl did not reach."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import congress_app.web as web

    fields: dict[str, Field] = {}
    for module in pkgutil.iter_modules(web.__path__):
        importlib.import_module(f"congress_app.web.{module.name}")

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for form in subclasses(FlaskForm):
        for name, value in vars(form).items():
            field_class = getattr(value, "field_class", None)
            if field_class is not None and name != "csrf_token":
                fields.setdefault(name, Field(WTFORMS_KINDS.get(field_class.__name__, "text")))
    return fields


CRAWLED: dict[tuple[str, str], dict[str, Field]] = {}  # (endpoint, method) → fields


# The fuzzer -----------------------------------------------------------------------------------


class Fuzzer:
    """Signed in as the organiser, with one of everything the URLs can point at."""

    def __init__(self, app, client, pdf: bytes) -> None:
        self.app = app
        self.client = client
        self.pdf = pdf
        self.adapter = app.url_map.bind("congress.test")
        self.session_cookie = client.get_cookie("session").value
        if not CRAWLED:
            self.crawl()

    def ids(self) -> dict[str, object]:
        """The objects the URLs name right now (a fuzzed request may have deleted some)."""
        db.session.rollback()
        db.session.expire_all()

        def first(model) -> int | None:
            return db.session.scalar(select(model.id).order_by(model.id).limit(1))

        document = db.session.scalars(select(Document).order_by(Document.id).limit(1)).first()
        slug = db.session.scalar(select(Congress.slug).order_by(Congress.id).limit(1))
        return {"session_id": first(CongressSession) or 1, "item_id": first(AgendaItem) or 1,
                "document_id": document.id if document else 1, "delegate_id": first(Delegate) or 1,
                "number": 1, "code": document.code if document else "ABCDEF",
                "congress_slug": slug or "test"}

    def crawl(self) -> None:
        """GET every HTML page and note the fields of each form it renders."""
        ids = self.ids()
        for endpoint, rule in GET_RULES:
            if rule.endswith(NOT_HTML) or endpoint == "static" or "<" in rule and any(
                    p not in ids for p in self.params(rule)):
                continue
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)
            response = self.client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            parser = FormParser(path)
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                method = "POST" if form.method == "post" else "GET"
                try:
                    target, _args = self.adapter.match(urlsplit(form.action).path, method=method)
                except HTTPException:
                    continue
                CRAWLED.setdefault((target, method), {}).update(form.fields)

    @staticmethod
    def params(rule: str) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", rule)

    def path(self, data, rule: str) -> str:
        """The rule with each parameter filled: the real object, or something hostile."""
        ids = self.ids()

        def value(match: re.Match) -> str:
            converter, name = match.group(1) or "", match.group(2)
            if converter == "int:":
                return str(data.draw(st.one_of(
                    st.just(ids.get(name, 1)),
                    st.sampled_from([0, 7, 2**31, 2**63, 10**30])), label=name))
            choices = {
                "code": [str(ids["code"]), str(ids["code"]).lower()],
                "congress_slug": [str(ids["congress_slug"])],
                "slug": sorted(PRINTABLES),
                "direction": ["next", "previous", "up", "down", "back"],
                "fmt": ["svg", "png", "PNG", "gif", "pdf"],
                "rest": ["file", "qr.svg", "pages/1.webp", "../../etc/passwd"],
                "filename": ["css/app.css", "../../congress_app/config.py", "..%2f..%2fetc"],
            }.get(name, [])
            raw = data.draw(st.one_of(st.sampled_from(choices), CODE_LIKE, HOSTILE_TEXT)
                            if choices else st.one_of(CODE_LIKE, HOSTILE_TEXT), label=name)
            return quote(raw, safe="/" if converter == "path:" else "") or "x"

        return re.sub(r"<(\w+:)?(\w+)>", value, rule)

    def form_fields(self, endpoint: str, method: str) -> dict[str, Field]:
        if (endpoint, method) in CRAWLED:
            return CRAWLED[(endpoint, method)]
        return _all_form_fields() if method == "POST" else {}

    def form_data(self, data, endpoint: str) -> dict:
        """Hostile values for the route's fields; sometimes a field left out or sent twice,
        sometimes a field the form does not have."""
        body: dict = {}
        for name, spec in self.form_fields(endpoint, "POST").items():
            if spec.kind == "file":
                content = data.draw(roster_csv() if "csv" in spec.accept or "roster" in endpoint
                                    else hostile_file_bodies(self.pdf), label=f"{name} bytes")
                filename = data.draw(HOSTILE_FILENAMES, label=f"{name} name")
                body[name] = (io.BytesIO(content), filename)
                continue
            shape = data.draw(st.sampled_from(["one", "one", "one", "none", "two"]),
                              label=f"{name} shape")
            if shape == "none":
                continue
            strategy = field_value(spec.kind, spec.options, spec.current)
            body[name] = (data.draw(strategy, label=name) if shape == "one"
                          else [data.draw(strategy, label=name), data.draw(strategy, label=name)])
        if data.draw(st.booleans(), label="extra field"):
            body[data.draw(HOSTILE_TEXT, label="extra name") or "x"] = data.draw(
                HOSTILE_TEXT, label="extra value")
        return body

    def query(self, data, endpoint: str) -> str:
        """A query string of keys the app reads (and some it does not), hostile values."""
        keys = sorted(set(QUERY_KEYS) | set(self.form_fields(endpoint, "GET")))
        pairs = data.draw(st.lists(st.tuples(
            st.one_of(st.sampled_from(keys), HOSTILE_TEXT),
            st.one_of(HOSTILE_TEXT, st.sampled_from(["1", "vi", "en", "organisers", "a4"]))),
            max_size=5), label="query")
        return urlencode(pairs)

    def restore_sign_in(self) -> None:
        """Sign the organiser back in after a fuzzed sign-out or sign-in (same session)."""
        self.client.set_cookie("session", self.session_cookie)

    def send(self, method: str, path: str, **kwargs):
        self.restore_sign_in()
        return self.client.open(path, method=method, **kwargs)


def assert_consistent() -> None:
    """The database answers, and agrees with the file store: each version's file exists
    with its size and sha256, no upload left a temp file behind, every document has a
    version and a well-formed code."""
    db.session.rollback()
    db.session.expire_all()
    store = file_store()
    report = check_store(store)
    assert report.healthy, f"versions without their file: {report.missing}"
    for sha256, size in db.session.execute(select(DocumentVersion.sha256, DocumentVersion.size)):
        content = store.path_for(sha256).read_bytes()
        assert len(content) == size and hashlib.sha256(content).hexdigest() == sha256
    tmp = store.root / "tmp"
    assert not tmp.is_dir() or not list(tmp.iterdir()), "an upload left its temp file"
    without_version = db.session.scalar(
        select(func.count(Document.id)).where(~Document.versions.any()))
    assert without_version == 0, "a document without any version"
    for name in db.session.scalars(select(DocumentVersion.original_filename)):
        assert 0 < len(name) <= 255 and not set(name) & set("/\\\x00"), name
        assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in name), name
    for code in db.session.scalars(select(Document.code)):
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET), code
    numbers = db.session.execute(
        select(Delegate.congress_id, Delegate.number, func.count()).group_by(
            Delegate.congress_id, Delegate.number).having(func.count() > 1)).all()
    assert not numbers, f"delegate numbers used twice: {numbers}"
