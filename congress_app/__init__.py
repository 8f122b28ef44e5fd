"""congress_app: the paperless congress. create_app() is the only app factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from .config import DEFAULTS, ROOT, check_secret_key, engine_options, settings_from_environment
from .web.request import CongressRequest


class RowIdConverter(IntegerConverter):
    """<int:…> in URLs: a row id fits an INTEGER column (32 bits on PostgreSQL), so a longer
    number is a plain 404 instead of an overflow in the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then the environment, then the test config on top."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = CongressRequest
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_mapping(settings_from_environment(Path(app.instance_path)))
    else:
        app.config.from_mapping(test_config)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    )
    check_secret_key(app.config)
    if bytecode_cache := app.config.get("TEMPLATE_BYTECODE_CACHE"):
        # A jinja2.BytecodeCache shared by the apps of one process (the test suite builds
        # one app per test): each template is compiled once, not once per app.
        app.jinja_env.bytecode_cache = bytecode_cache
    if proxies := app.config.get("TRUSTED_PROXIES"):
        # Behind nginx: the client's address (rate limits, audit) and scheme come from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from . import cli, db_setup, i18n, web
    from .extensions import csrf, db, limiter, login_manager, migrate
    from .models.base import include_in_autogenerate, render_migration_type
    from .pdf import typography
    from .web import page_cache

    db.init_app(app)
    db_setup.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        render_item=render_migration_type,
        include_name=include_in_autogenerate,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    typography.init_app(app)
    app.url_map.converters["int"] = RowIdConverter  # before the blueprints add their rules
    web.init_app(app)
    page_cache.init_app(app)
    cli.init_app(app)
    return app
