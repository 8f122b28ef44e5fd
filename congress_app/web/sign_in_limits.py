"""Pauses after wrong passwords and PINs that an attacker cannot turn against the real person.

Delegate numbers are public and usernames easy to guess, so a pause per account alone lets
anyone lock an organiser or a delegate out by failing on purpose. Wrong attempts are counted
as the well-kept libraries do (OWASP's advice, django-axes' "username + ip" combination):

- per client (address): one client cannot try many accounts;
- per account *and* client: the one that keeps failing is paused, and only that one;
- per account, looser, and only for the clients that have already failed for that account:
  many addresses sharing the guesses of one account are paused, while a client that has
  not failed (the organiser's laptop, the delegate's phone) still signs in.

Only wrong passwords or PINs (401) count; typing errors and successes do not.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from limits import parse

from ..extensions import limiter


def _wrong_credentials(response: Response) -> bool:
    """Only a wrong password or PIN counts towards a pause."""
    return response.status_code == 401


def guard_sign_in(account_key: Callable[[], str], *, per_client: str,
                  per_account_and_client: str, per_account: str):
    """Decorate a sign-in view with the three limits; the arguments are config keys, and
    `account_key` names the account the submitted form is about."""

    def account_and_client() -> str:
        return f"{account_key()}|client:{get_remote_address()}"

    def client_has_not_failed() -> bool:
        """Whether this client has no wrong attempt on record for this account: then the
        account's total does not hold it up. Flask-Limiter keeps a limit's count under
        (key, endpoint), so this reads the per account-and-client count of this view."""
        item = parse(current_app.config[per_account_and_client])
        stats = limiter.limiter.get_window_stats(item, account_and_client(), request.endpoint)
        return stats.remaining >= item.amount

    limits = (
        (per_account, account_key, client_has_not_failed),
        (per_account_and_client, account_and_client, None),
        (per_client, get_remote_address, None),
    )

    def decorate(view):
        for setting, key_func, exempt_when in limits:
            view = limiter.limit(
                lambda setting=setting: current_app.config[setting], key_func=key_func,
                methods=["POST"], deduct_when=_wrong_credentials, exempt_when=exempt_when,
            )(view)
        return view

    return decorate
