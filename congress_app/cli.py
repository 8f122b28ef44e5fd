"""flask commands: seed-demo, create-organiser, serve."""

from __future__ import annotations

from pathlib import Path

import click
import waitress
from flask import Flask, current_app

from . import ROOT
from .extensions import db
from .models import Role
from .qr import is_local_base_url
from .services import seed as seed_service
from .services import users as user_service
from .services.errors import InputRefused


@click.command("seed-demo")
@click.option("--seeds", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=ROOT / "seeds", show_default=True)
def seed_demo(seeds: Path) -> None:
    """Load the demo congress from seeds/ into an empty database."""
    result = seed_service.load_demo(seeds)
    if result.created:
        click.echo(f"Loaded the demo congress “{result.congress.title}”: "
                   f"{result.documents} documents, {result.items} agenda items, "
                   f"{result.delegates} delegates.")
        user, password = seed_service.DEMO_ORGANISER
        click.echo(f"Demo organiser: {user} / {password} (change it before a real congress).")
    else:
        click.echo(f"The database already holds “{result.congress.title}”: nothing changed.")


@click.command("create-organiser")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value,
              show_default=True)
@click.password_option()
def create_organiser(username: str, role: str, password: str) -> None:
    """Create an organiser account (the password is asked for twice and stored hashed)."""
    try:
        user = user_service.create_user(username, password, Role(role))
    except InputRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    click.echo(f"Created {user.role.value} account “{user.username}”.")


@click.command("serve")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
def serve(host: str, port: int) -> None:
    """Start the app for a hall network, saying where phones should go."""
    base = current_app.config["PUBLIC_BASE_URL"]
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"\n  congress_app is running: open http://{shown_host}:{port}/")
    click.echo(f"  Organiser sign-in: http://{shown_host}:{port}/login  "
               f"(demo: {seed_service.DEMO_ORGANISER[0]} / {seed_service.DEMO_ORGANISER[1]})")
    click.echo(f"  QR codes point at: {base}")
    if is_local_base_url(base):
        click.secho(
            "  WARNING: PUBLIC_BASE_URL points at this computer only; printed QR codes will not\n"
            "  open on delegates' phones. Set it to the address phones reach, e.g.\n"
            "  HOST=0.0.0.0 PUBLIC_BASE_URL=http://192.168.1.10:5000 make run",
            fg="yellow",
        )
    click.echo("")
    # waitress: a production WSGI server in pure Python, enough threads for a hall of phones.
    waitress.serve(current_app._get_current_object(), host=host, port=port, threads=16,
                   ident="congress_app")


def init_app(app: Flask) -> None:
    for command in (seed_demo, create_organiser, serve):
        app.cli.add_command(command)
    app.shell_context_processor(lambda: {"db": db})
