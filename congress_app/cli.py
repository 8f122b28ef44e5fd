"""flask commands: seed-demo, create-organiser, set-password, deactivate-organiser,
list-organisers, serve, setup-link, export-congress, import-congress, check-store."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click
import waitress
from flask import Flask, current_app
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from .config import ROOT
from .extensions import db
from .models import Congress, Role
from .qr import is_local_base_url
from .services import audit, store_check
from .services import congress as congress_service
from .services import seed as seed_service
from .services import setup as setup_service
from .services import users as user_service
from .services.archive import export, file_format, restore
from .services.errors import InputRefused
from .storage import file_store


@click.command("seed-demo")
@click.option("--seeds", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=ROOT / "seeds", show_default=True)
@click.option("--demo/--no-demo", envvar="CONGRESS_DEMO", default=True, show_default=True,
              help="--no-demo (or CONGRESS_DEMO=0, as `make run` passes it on) loads nothing: "
                   "the instance starts empty and `flask serve` prints a set-up link.")
def seed_demo(seeds: Path, demo: bool) -> None:
    """Load the demo congress from seeds/ into an empty database."""
    if not demo:
        click.echo("CONGRESS_DEMO=0: the demo congress is not loaded.")
        return
    result = seed_service.load_demo(seeds)
    if result.created:
        click.echo(f"Loaded the demo congress “{result.congress.title}”: "
                   f"{result.documents} documents, {result.items} agenda items, "
                   f"{result.delegates} delegates.")
        user, password = user_service.DEMO_ORGANISER
        click.echo(f"Demo organiser: {user} / {password} (change it before a real congress).")
    elif result.congress is not None:
        click.echo(f"The database already holds “{result.congress.title}”: nothing changed.")
    else:
        click.echo("The database already has organiser accounts: nothing changed.")


@click.command("create-organiser")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value,
              show_default=True)
@click.option("--congress", "slug", metavar="SLUG",
              help="Tie the account to this congress (default: it serves every congress).")
@click.password_option()
def create_organiser(username: str, role: str, slug: str | None, password: str) -> None:
    """Create an organiser account (the password is asked for twice and stored hashed)."""
    congress = None
    if slug is not None:
        congress = congress_service.by_slug(slug)
        if congress is None:
            raise click.ClickException(f"No congress with the slug “{slug}” on this instance.")
    try:
        user = user_service.create_user(username, password, Role(role), congress)
    except InputRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    scope = f"congress “{congress.slug}” only" if congress else "every congress"
    click.echo(f"Created {user.role.value} account “{user.username}” for {scope}.")


def _account(username: str):
    user = user_service.by_username(username)
    if user is None:
        raise click.ClickException(f"No account with the username “{username}”.")
    return user


@click.command("set-password")
@click.argument("username")
@click.option("--one-time", is_flag=True,
              help="The account must choose a new password at its next sign-in.")
@click.password_option(prompt="New password")
def set_password(username: str, one_time: bool, password: str) -> None:
    """Set an account's password (asked for twice); its sessions end."""
    user = _account(username)
    try:
        user_service.change_password(user, password, one_time=one_time)
    except InputRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    click.echo(f"New password set for “{user.username}”; every session it had has ended."
               + (" It must be changed at the next sign-in." if one_time else ""))


@click.command("deactivate-organiser")
@click.argument("username")
@click.option("--reactivate", is_flag=True, help="Let a deactivated account sign in again.")
def deactivate_organiser(username: str, reactivate: bool) -> None:
    """Stop an account from signing in (its sessions end), or --reactivate it."""
    user = _account(username)
    try:
        changed = user_service.set_active(None, user, reactivate)
    except InputRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    state = "active" if reactivate else "deactivated"
    click.echo(f"“{user.username}” is {state}." if changed
               else f"“{user.username}” was already {state}: nothing changed.")


@click.command("list-organisers")
def list_organisers() -> None:
    """List the organiser accounts: role, congress, state."""
    accounts = user_service.visible_accounts(None)
    if not accounts:
        click.echo("No organiser accounts yet: create one with `flask create-organiser`.")
    width = max((len(u.username) for u in accounts), default=0)
    for user in accounts:
        notes = [] if user.active else ["deactivated"]
        if user.must_change_password:
            notes.append("one-time password")
        if user.active and user_service.has_published_password(user):
            notes.append("DEMO PASSWORD FROM THE README")
        scope = f"congress {user.congress.slug}" if user.congress else "every congress"
        click.echo(f"{user.username:<{width}}  {user.role.value:<7}  {scope}"
                   + (f"  ({', '.join(notes)})" if notes else ""))


@click.command("serve")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
def serve(host: str, port: int) -> None:
    """Start the app for a hall network, saying where phones should go."""
    base = current_app.config["PUBLIC_BASE_URL"]
    current_app.config["HOST"] = host  # what sign-in checks: is the app reachable from others?
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"\n  congress_app is running: open http://{shown_host}:{port}/")
    # The demo credentials only while they work: the account is there, active, keeps the
    # README's password, and only this computer can reach the app.
    demo = (f"  (demo: {user_service.DEMO_ORGANISER[0]} / {user_service.DEMO_ORGANISER[1]})"
            if user_service.demo_sign_in_works() else "")
    click.echo(f"  Organiser sign-in: http://{shown_host}:{port}/login{demo}")
    if user_service.demo_account_exposed() is not None and not demo:
        click.secho(
            f"  WARNING: the demo account {user_service.DEMO_ORGANISER[0]} still has the "
            "README's password; it is refused\n  while other computers can reach the app. Set "
            f"one: flask set-password {user_service.DEMO_ORGANISER[0]}", fg="red")
    click.echo(f"  QR codes point at: {base}")
    for line in setup_service.console_lines(f"http://{shown_host}:{port}", base):
        click.secho(line, fg="green", bold=True)
    if is_local_base_url(base):
        click.secho(
            "  WARNING: PUBLIC_BASE_URL points at this computer only; printed QR codes will not\n"
            "  open on delegates' phones. Set it to the address phones reach, e.g.\n"
            "  HOST=0.0.0.0 PUBLIC_BASE_URL=http://192.168.1.10:5000 make run",
            fg="yellow",
        )
    # What uploads a crash interrupted left goes (see check-store); a missing file is said.
    report = store_check.check_store(file_store(), repair=True)
    if report.removed:
        click.echo(f"  Removed {report.removed} leftovers of interrupted uploads.")
    for sha256 in report.missing:
        click.secho(f"  WARNING: the file of document version {sha256} is missing.", fg="red")
    click.echo("")
    # waitress: a production WSGI server in pure Python, enough threads for a hall of phones.
    # An empty ident sends no Server header: nothing to tell an intruder what answers.
    waitress.serve(current_app._get_current_object(), host=host, port=port, threads=16,
                   ident="")


@click.command("setup-link")
def setup_link() -> None:
    """Print a new one-time link that creates the first administrator (while there is none)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    lines = setup_service.console_lines(base, base)
    if not lines:
        raise click.ClickException("This site already has an administrator: sign in at "
                                   f"{base.rstrip('/')}/login instead.")
    for line in lines:
        click.echo(line)


@click.command("export-congress")
@click.argument("output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--slug", help="The congress to export (default: the one this instance serves).")
@click.option("--full", "--with-accounts", "full", is_flag=True,
              help="A full backup: include password, card token and PIN hashes (left out by "
                   "default).")
def export_congress(output: Path, slug: str | None, full: bool) -> None:
    """Write the congress, its documents' files and its records to one ZIP archive."""
    if slug is None:
        congress = congress_service.first_congress()
    else:
        congress = db.session.scalar(select(Congress).where(Congress.slug == slug))
    if congress is None:
        raise click.ClickException(f"No congress{f' with the slug “{slug}”' if slug else ''} "
                                   "on this instance.")
    audit.record(None, "congress.export", congress, full=full, via="cli")
    db.session.commit()
    started = time.perf_counter()
    try:
        export.export_congress(congress, output, full=full)
    except file_format.ArchiveRefused as refused:
        raise click.ClickException(str(refused)) from None
    size = output.stat().st_size / 1_000_000
    click.echo(f"Exported “{congress.title}” ({congress.slug}) to {output}: {size:.1f} MB "
               f"in {time.perf_counter() - started:.1f} s.")
    if full:
        click.secho("Full backup: this file contains secrets (password, card token and PIN "
                    "hashes): keep it as safe as the database.", fg="yellow")
    else:
        click.echo("No secrets included: accounts without password hashes, delegates without "
                   "card hashes (--full includes them).")


@click.command("import-congress")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_congress(archive: Path) -> None:
    """Restore a congress from an archive made by export-congress (all of it or nothing)."""
    started = time.perf_counter()
    try:
        congress = restore.import_congress(archive)
    except file_format.ArchiveRefused as refused:
        raise click.ClickException(f"{refused} Nothing was imported.") from None
    summary = restore.last_import(congress)
    click.echo(f"Imported “{congress.title}” ({congress.slug}): "
               f"{summary.get('documents', 0)} documents, {summary.get('delegates', 0)} "
               f"delegates, {summary.get('accounts', 0)} accounts, "
               f"in {time.perf_counter() - started:.1f} s.")
    if not summary.get("full") and summary.get("accounts"):
        click.echo("The congress's accounts are deactivated, without a password (an archive "
                   "without secrets): an admin gives each one a password to bring it back.")
    missing = summary.get("missing_accounts") or []
    if missing:
        click.secho(
            f"WARNING: records name accounts serving every congress that this instance lacks "
            f"({', '.join(missing)}): they were imported without their author. Create those "
            "accounts first (create-organiser) and import again to keep the links.",
            fg="yellow")
    reissued = summary.get("cards_reissued", 0)
    if reissued:
        click.secho(
            f"WARNING: {reissued} delegate cards do not match this instance: card tokens and "
            "PINs derive from SECRET_KEY\n(and the delegate's id), which differ here. New "
            "credentials were made; reprint those cards.", fg="yellow")
    elif summary.get("cards_unchecked"):
        click.secho(
            f"NOTE: the archive holds no card hashes (not a full backup): the "
            f"{summary['cards_unchecked']} delegate cards were given hashes from this "
            "instance's SECRET_KEY.\nPrinted cards keep working only if it is the exporting "
            "instance's SECRET_KEY; otherwise reprint them.", fg="yellow")
    else:
        click.echo("Delegate cards keep working: card tokens and PINs derive from SECRET_KEY, "
                   "which matches the exporting instance. Importing into an instance with "
                   "another SECRET_KEY would need every card reprinted.")


def _in_both_languages(line: Callable[[], str], **style) -> None:
    """Echo a line in English, then in Vietnamese: whoever runs the command reads one."""
    for language in ("en", "vi"):
        with force_locale(language):
            click.secho(line(), **style)


def _megabytes(size: int) -> str:
    """661.2 in English, 661,2 in Vietnamese: the size as the current language writes it."""
    return format_decimal(size / 1_048_576, "#,##0.#")


@click.command("check-store")
@click.option("--repair", is_flag=True,
              help="Delete the debris of interrupted uploads: temp files no running upload "
                   "holds (whatever their age), and stored files no version names (older "
                   "than an hour).")
def check_store(repair: bool) -> None:
    """Check that every document version's file is in the store, and count leftovers."""
    report = store_check.check_store(file_store(), repair=repair)
    for sha256 in report.missing:
        _in_both_languages(lambda sha256=sha256: _(
            "MISSING or damaged file for version %(sha256)s", sha256=sha256), fg="red")
    _in_both_languages(lambda: _(
        "%(orphans)d stored files no version names (%(orphan_size)s MB), %(uploads)d "
        "unfinished uploads in tmp/ (%(upload_size)s MB).",
        orphans=len(report.orphans), orphan_size=_megabytes(report.orphan_bytes),
        uploads=len(report.dead_uploads), upload_size=_megabytes(report.dead_upload_bytes)))
    if repair:
        _in_both_languages(lambda: _("Removed %(count)d files (%(size)s MB).",
                                     count=report.removed,
                                     size=_megabytes(report.removed_bytes)))
    elif report.orphans or report.dead_uploads:
        _in_both_languages(lambda: _("flask check-store --repair removes them."))
    if not report.healthy:
        raise SystemExit(1)
    _in_both_languages(lambda: _("Every document version has its file."))


def init_app(app: Flask) -> None:
    for command in (seed_demo, create_organiser, set_password, deactivate_organiser,
                    list_organisers, serve, setup_link, export_congress, import_congress,
                    check_store):
        app.cli.add_command(command)
    app.shell_context_processor(lambda: {"db": db})
