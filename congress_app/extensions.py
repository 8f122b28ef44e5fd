"""Flask extensions, created once and bound to the app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
# Flask-Login's "basic" protection writes `_fresh: False` into any session without a user, so
# a page the offline worker fetched with the pre-sign-in cookie answered with that older
# session and signed the organiser out again. Nothing here asks for a fresh login, and
# sessions end on the server (session versions), so the protection adds only that write.
login_manager.session_protection = None
# Storage comes from RATELIMIT_STORAGE_URI (config.py); init_app() builds a fresh one for each
# app, so the in-memory counters of one test app never leak into the next.
limiter = Limiter(key_func=get_remote_address)
