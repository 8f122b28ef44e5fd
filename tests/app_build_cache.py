"""What every test's app shares across the run, so building one app per test stays cheap."""

from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule


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


