"""The reader tests' shared pieces: the sync_rendering fixture, a Vietnamese line, an upload."""

from __future__ import annotations

import io

import pytest

from congress_app.services import intake, page_images

VIETNAMESE = "Nghị quyết Đại hội đại biểu Đảng bộ phường"


@pytest.fixture
def sync_rendering(app):
    """Page images are made before the upload returns, so tests see them at once.

    Not autouse: registered for every test in conftest.py's pytest_plugins, it is asked
    for by the modules that want it with `pytestmark = pytest.mark.usefixtures(...)`."""
    app.config["PAGE_RENDERING"] = "sync"
    yield
    page_images.stop_rendering()


def upload(data: bytes, filename: str) -> intake.Upload:
    """A file as the document form hands it to intake."""
    return intake.Upload(io.BytesIO(data), filename)
