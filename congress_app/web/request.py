"""The request: uploads never leave an open temporary file behind, a JSON body too deeply
nested to parse is as malformed as any other, and numbers in the query string are read one
way everywhere (int_arg)."""

from __future__ import annotations

from typing import IO, Any

from flask import Request, request

from ..numbers import INTEGER_MAX, whole_number


def int_arg(name: str, default: int | None = None, *, lo: int = 1, hi: int = INTEGER_MAX,
            clamp: bool = False) -> int | None:
    """The query argument `name` as a whole number from lo to hi (numbers.whole_number);
    `default` when it is missing or not one. Out of range gives `default`, or with `clamp`
    the nearest bound (a page past the last is the last one the database can count)."""
    value = whole_number(request.args.get(name), hi, clamp=clamp)
    if value is None:
        return default
    if value < lo:
        return lo if clamp else default
    return value


class CongressRequest(Request):
    """Close every temporary upload file at the end of the request, even a cut-off one.

    Werkzeug's form parser drops the spooled file of a body that ends early without closing
    it; tracking the streams it makes lets close() release them at once.
    """

    def get_json(self, force: bool = False, silent: bool = False,
                 cache: bool = True) -> Any | None:
        """The body as JSON; `[[[…` nested past Python's recursion limit counts as invalid.

        Werkzeug handles only the parser's ValueError: the RecursionError of a deep body
        would answer 500. Here it takes the same way as any unreadable body: None when
        silent, else on_json_loading_failed (400).
        """
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError("the JSON body is nested too deeply"))

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
