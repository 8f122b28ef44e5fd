"""Nothing uploaded is lost, and nothing half-uploaded is kept: the real server (`flask serve`,
waitress) in its own process, killed with SIGKILL in the middle of uploads, then restarted.

After every fault the instance must be consistent:
- every document has at least one version, numbered 1..n without gaps;
- every version's file is in the store, with its recorded size and sha256;
- no orphan: no file in the store that no version names, and nothing left in the store's
  tmp/ area (a partial upload).
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import io
import os
import re
import secrets
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import termios
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pypdf import PdfWriter

from .conftest import only_on_sqlite

FLASK = str(Path(sys.executable).with_name("flask"))
USERNAME, PASSWORD = "ban-to-chuc", "mật khẩu đủ dài 2025"
BIG_UPLOAD = 20 * 1024 * 1024


def small_pdf(label: str) -> bytes:
    """A real one-page PDF whose bytes differ per label (fast: no rendering)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": label})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def multipart(fields: dict[str, str], file_field: str, filename: str,
              content_type: str = "application/pdf") -> tuple[str, bytes, bytes]:
    """(boundary, everything before the file's bytes, everything after them)."""
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        .encode() for name, value in fields.items()
    )
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
             f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n').encode()
    return boundary, head, f"\r\n--{boundary}--\r\n".encode()


@dataclass
class Instance:
    """A temp instance (database, file store, cache) and the server process serving it."""

    root: Path
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen | None = None
    cookie: str = ""
    csrf: str = ""
    log: list[Path] = field(default_factory=list)

    @property
    def db_file(self) -> Path:
        return self.root / "congress.sqlite3"

    @property
    def store(self) -> Path:
        return self.root / "files"

    def flask(self, *args: str) -> str:
        done = subprocess.run([FLASK, *args], env=self.env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> None:
        """Start `flask serve` on a free port and wait until it answers."""
        self.port = free_port()
        log = self.root / f"server-{len(self.log)}.log"
        self.log.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [FLASK, "serve", "--port", str(self.port)], env=self.env, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.request("GET", "/login", headers={"Cookie": ""})[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start: " + log.read_text()
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no finally block, no flush runs."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = self.connection()
        try:
            connection.request(method, path, body=body,
                               headers={"Cookie": self.cookie, **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str]]:
        body = "&".join(f"{k}={v}" for k, v in {"csrf_token": self.csrf, **fields}.items())
        status, headers, _ = self.request(
            "POST", path, body.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        return status, headers

    def upload(self, path: str, fields: dict[str, str], filename: str, data: bytes) -> str:
        """POST a multipart upload at full speed; the Location it redirects to."""
        boundary, head, tail = multipart({"csrf_token": self.csrf, **fields}, "file", filename)
        status, headers, body = self.request(
            "POST", path, head + data + tail,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert status == 302, (status, body[:2000])
        return headers["Location"]

    def sign_in(self) -> None:
        """Sign in through the login form; keep the session cookie for every later request."""
        status, headers, html = self.request("GET", "/login")
        self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html).group(1).decode()
        self.csrf = token
        status, headers = self.post_form("/login", {"username": USERNAME,
                                                    "password": PASSWORD.replace(" ", "+")})
        assert status == 302, status
        self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        # The sign-in renewed the CSRF token: the next form brings the new one (and its cookie).
        _, headers, page = self.request("GET", "/organiser/documents/new")
        if "Set-Cookie" in headers:
            self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        self.csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()


# The server under test always runs on its own SQLite instance (the fault is the process,
# not the database): on the PostgreSQL run these would only repeat themselves.
pytestmark = only_on_sqlite("the server under test has its own SQLite instance")


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A migrated instance with an organiser and a congress, served by a real process."""
    root = tmp_path_factory.mktemp("faults")
    env = {
        **os.environ,
        "FLASK_APP": "congress_app",
        "CONGRESS_DATABASE_URL": f"sqlite:///{root / 'congress.sqlite3'}",
        "CONGRESS_FILE_STORE": str(root / "files"),
        "CONGRESS_CACHE_DIR": str(root / "cache"),
        "CONGRESS_SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_BASE_URL": "http://192.0.2.10:5000",
    }
    instance = Instance(root, env)
    instance.flask("db", "upgrade")
    instance.flask("create-organiser", USERNAME, "--password", PASSWORD)
    instance.start()
    instance.sign_in()
    status, _ = instance.post_form("/organiser/congress", {
        "title": "Dai hoi lan thu I", "organisation": "Dang bo phuong Thanh Xuan",
        "starts_on": "2025-07-22", "ends_on": "2025-07-23"})
    assert status == 302
    yield instance
    if instance.process is not None:
        instance.kill()


def check_consistent(instance: Instance) -> dict[int, list[tuple[int, str]]]:
    """Assert the database and the file store agree (see the module docstring); return
    {document id: [(number, sha256), …]}."""
    with sqlite3.connect(instance.db_file) as connection:
        documents = [row[0] for row in connection.execute("SELECT id FROM documents")]
        versions = connection.execute(
            "SELECT document_id, number, sha256, size FROM document_versions "
            "ORDER BY document_id, number").fetchall()
    by_document: dict[int, list[tuple[int, str]]] = {d: [] for d in documents}
    for document_id, number, sha256, size in versions:
        by_document[document_id].append((number, sha256))
        path = instance.store / sha256[:2] / sha256[2:]
        assert path.is_file(), f"version {number} of document {document_id} has no file"
        data = path.read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha256)
    for document_id, numbered in by_document.items():
        numbers = [number for number, _ in numbered]
        assert numbers == list(range(1, len(numbers) + 1)) and numbers, (
            f"document {document_id} has versions {numbers}")
    named = {sha256 for *_, sha256, _size in versions}
    stored = {p.parent.name + p.name for p in instance.store.glob("??/*") if p.is_file()}
    assert stored - named == set(), "files in the store that no version names"
    leftovers = list((instance.store / "tmp").glob("*"))
    assert leftovers == [], f"partial uploads left in the store: {leftovers}"
    return by_document


def bytes_in_flight(connection: http.client.HTTPConnection) -> int:
    """Bytes of a loopback request the server process has not read yet: those still queued on
    the client's socket (TIOCOUTQ) plus those in the server socket's receive queue
    (/proc/net/tcp's rx_queue of the connection's other end)."""
    sock = connection.sock
    queued = struct.unpack("i", fcntl.ioctl(sock, termios.TIOCOUTQ, b"\0" * 4))[0]
    ours, theirs = sock.getsockname()[1], sock.getpeername()[1]
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, _state, queues = line.split()[1:5]
        if int(local.split(":")[1], 16) == theirs and int(remote.split(":")[1], 16) == ours:
            return queued + int(queues.split(":")[1], 16)
    raise AssertionError("the server's end of the upload is not in /proc/net/tcp")


def slow_upload_then_kill(instance: Instance, path: str, fields: dict[str, str]) -> None:
    """Stream a 20 MB PDF in chunks; SIGKILL the server when half of it has been sent."""
    boundary, head, tail = multipart({"csrf_token": instance.csrf, **fields}, "file",
                                     "Văn kiện lớn.pdf")
    chunk = b"%PDF-1.7\n" + os.urandom(256 * 1024 - 9)
    connection = instance.connection()
    connection.putrequest("POST", path)
    connection.putheader("Cookie", instance.cookie)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + BIG_UPLOAD + len(tail)))
    connection.endheaders()
    connection.send(head)
    sent = 0
    while sent < BIG_UPLOAD // 2:
        connection.send(chunk)
        sent += len(chunk)
        time.sleep(0.005)
    # Killed once the server has taken in all that was sent, so it dies in the middle of the body.
    deadline = time.monotonic() + 30
    while bytes_in_flight(connection):
        assert time.monotonic() < deadline, "the server did not read the half-sent upload"
        time.sleep(0.01)
    instance.kill()
    connection.close()


def document_list_works(instance: Instance) -> None:
    status, _, html = instance.request("GET", "/organiser/documents")
    assert status == 200, html[:2000]


def test_a_server_killed_during_an_upload_keeps_no_trace_of_it(instance):
    before = check_consistent(instance)
    slow_upload_then_kill(instance, "/organiser/documents/new", {
        "title": "Van kien lon", "category": "other", "visibility": "public",
        "published": "y"})
    instance.start()

    assert check_consistent(instance) == before
    document_list_works(instance)
    assert b"Van kien lon" not in instance.request("GET", "/organiser/documents")[2]


def test_a_server_killed_during_a_replacement_keeps_the_previous_version(instance):
    original = small_pdf("Báo cáo chính trị, bản in")
    location = instance.upload("/organiser/documents/new", {
        "title": "Bao cao chinh tri", "category": "political_report", "visibility": "public",
        "published": "y"}, "bao-cao.pdf", original)
    document_id = int(location.rsplit("/", 1)[1])
    before = check_consistent(instance)

    slow_upload_then_kill(instance, f"/organiser/documents/{document_id}/replace", {"note": ""})
    instance.start()

    after = check_consistent(instance)
    assert after == before and after[document_id] == [(1, hashlib.sha256(original).hexdigest())]
    status, _, data = instance.request(
        "GET", f"/organiser/documents/{document_id}/versions/1/file")
    assert status == 200 and data == original
    document_list_works(instance)


def test_twenty_uploads_and_replacements_at_once_all_land(instance):
    target = instance.upload("/organiser/documents/new", {
        "title": "Du thao nghi quyet", "category": "draft_resolution", "visibility": "public",
        "published": "y"}, "du-thao.pdf", small_pdf("Dự thảo, bản 1"))
    target_id = int(target.rsplit("/", 1)[1])
    new_files = [small_pdf(f"Tài liệu mới {i}") for i in range(10)]
    replacements = [small_pdf(f"Dự thảo, bản sửa {i}") for i in range(10)]

    def new(i: int) -> int:
        location = instance.upload("/organiser/documents/new", {
            "title": f"Tai lieu {i}", "category": "other", "visibility": "public",
            "published": "y"}, f"tai-lieu-{i}.pdf", new_files[i])
        return int(location.rsplit("/", 1)[1])

    def replace(i: int) -> None:
        instance.upload(f"/organiser/documents/{target_id}/replace", {"note": f"sửa {i}"},
                        f"du-thao-{i}.pdf", replacements[i])

    with ThreadPoolExecutor(max_workers=20) as pool:
        created = [pool.submit(new, i) for i in range(10)]
        replaced = [pool.submit(replace, i) for i in range(10)]
        new_ids = [future.result() for future in created]
        for future in replaced:
            future.result()

    documents = check_consistent(instance)
    assert len(set(new_ids)) == 10
    for i, document_id in enumerate(new_ids):
        assert documents[document_id] == [(1, hashlib.sha256(new_files[i]).hexdigest())]
        status, _, data = instance.request(
            "GET", f"/organiser/documents/{document_id}/versions/1/file")
        assert status == 200 and data == new_files[i]
    numbers = [number for number, _ in documents[target_id]]
    assert numbers == list(range(1, 12))
    assert {sha for number, sha in documents[target_id] if number > 1} == {
        hashlib.sha256(data).hexdigest() for data in replacements}
    document_list_works(instance)
