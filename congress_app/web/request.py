"""The request class: uploads never leave an open temporary file behind."""

from __future__ import annotations

from typing import IO

from flask import Request


class CongressRequest(Request):
    """Close every temporary upload file at the end of the request, even a cut-off one.

    Werkzeug's form parser drops the spooled file of a body that ends early without closing
    it; tracking the streams it makes lets close() release them at once.
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None) -> IO[bytes]:
        stream = super()._get_file_stream(total_content_length, content_type, filename,
                                          content_length)
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        super().close()
        for stream in self.__dict__.pop("_upload_streams", []):
            stream.close()
