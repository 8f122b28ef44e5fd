"""Rate limits hold across worker processes: counted in Redis, never in each worker's memory.

The test starts Debian's redis-server (`make test` installs it) on a free loopback port and
two gunicorn processes of the app sharing it, as two workers or two servers would.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
import redis

from congress_app.config import check_rate_limit_storage

from .conftest import ORGANISER

pytestmark = pytest.mark.database_agnostic

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "congress_app" / "gunicorn_conf.py"
REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what: str, limit: float = 30) -> None:
    """Poll a condition (no fixed sleep) until it holds, or fail saying what never came."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {limit:.0f} s")
        time.sleep(0.05)


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A throw-away redis-server on loopback: no disk snapshots, stopped at the end."""
    if not Path(REDIS_SERVER).exists():
        pytest.fail(f"{REDIS_SERVER} is missing: `make test` installs Debian's redis-server")
    port = free_port()
    workdir = tmp_path / "redis"
    workdir.mkdir()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        wait_until(answers, "redis-server did not answer")
        yield f"redis://127.0.0.1:{port}"
    finally:
        client.close()
        process.terminate()
        process.wait(10)


def app_environment(app, tmp_path: Path, storage: str, workers: int) -> dict[str, str]:
    """The environment of a gunicorn serving the test's database, with the hall settings."""
    return {
        **os.environ,
        "CONGRESS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CONGRESS_FILE_STORE": str(tmp_path / "files"),
        "CONGRESS_CACHE_DIR": str(tmp_path / "cache"),
        "CONGRESS_SECRET_KEY": secrets.token_hex(32),
        "CONGRESS_RATELIMIT_STORAGE_URI": storage,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": "1",
        "HOST": "127.0.0.1",
    }


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
             "congress_app:create_app()"],
            env={**env, "PORT": str(port)}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )


@contextmanager
def servers(env: dict[str, str], count: int, tmp_path: Path) -> Iterator[list[str]]:
    """`count` gunicorn processes of the same app and database, each on its own port."""
    ports = [free_port() for _ in range(count)]
    processes = [start_gunicorn(env, port, tmp_path / f"gunicorn-{port}.log") for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            wait_until(lambda url=url, process=process: answers(url, process),
                       f"gunicorn at {url} did not answer")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


def answers(url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"gunicorn exited with {process.returncode}")
    try:
        with build_opener().open(f"{url}/login", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def sign_in(url: str, password: str) -> int:
    """One sign-in through the real form (its own cookies and CSRF token); the status."""
    opener = build_opener(HTTPCookieProcessor(CookieJar()))
    with opener.open(f"{url}/login", timeout=10) as page:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())[1]
    form = urlencode({"username": ORGANISER[0], "password": password, "csrf_token": token})
    try:
        with opener.open(f"{url}/login", data=form.encode(), timeout=10) as response:
            return response.status
    except HTTPError as error:
        error.close()
        return error.code


def test_several_workers_counting_in_their_own_memory_are_refused():
    with pytest.raises(RuntimeError, match="redis://127.0.0.1:6379"):
        check_rate_limit_storage("memory://", 2)
    check_rate_limit_storage("memory://", 1)
    check_rate_limit_storage("redis://127.0.0.1:6379", 4)


def test_gunicorn_refuses_to_start_two_workers_with_memory_storage(app, tmp_path):
    env = app_environment(app, tmp_path, "memory://", workers=2)
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(env, free_port(), log)
    try:
        assert process.wait(60) != 0
    finally:
        if process.poll() is None:  # it started after all: stop it, the test has failed
            process.kill()
            process.wait(30)
    text = log.read_text()
    assert "2 worker processes with CONGRESS_RATELIMIT_STORAGE_URI=memory://" in text
    assert "export CONGRESS_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379" in text


def test_the_password_limit_holds_across_two_app_processes_sharing_redis(
        app, organiser, tmp_path, redis_url):
    assert app.config["LOGIN_ATTEMPTS_PER_USERNAME_AND_CLIENT"] == "10 per 15 minutes"
    env = app_environment(app, tmp_path, redis_url, workers=1)
    with servers(env, 2, tmp_path) as (first, second):
        for attempt in range(10):  # 5 wrong passwords on each process
            assert sign_in((first, second)[attempt % 2], "wrong password") == 401
        assert sign_in(first, ORGANISER[1]) == 429
        assert sign_in(second, ORGANISER[1]) == 429


def test_gunicorn_with_two_workers_and_redis_pauses_the_eleventh_attempt(
        app, organiser, tmp_path, redis_url):
    """The production settings (gunicorn_conf, 2 workers): the kernel hands each new
    connection to either worker, and the count is the same whichever answers."""
    env = app_environment(app, tmp_path, redis_url, workers=2)
    with servers(env, 1, tmp_path) as (url,):
        for _attempt in range(10):
            assert sign_in(url, "wrong password") == 401
        assert sign_in(url, ORGANISER[1]) == 429
