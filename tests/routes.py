"""Every route of a blueprint, filled with sample ids and opened: the access tests walk the
whole of a blueprint this way, so a route added later is checked the moment it exists."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from congress_app import create_app
from congress_app.models import Role

from .conftest import add_user


def blueprint_routes(blueprint: str) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route of a blueprint, so access tests cover a new
    route the moment it is added."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{blueprint}.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def route_path(rule: str, ids: dict[str, int]) -> str:
    """A URL rule with its <params> filled from sample ids (an unknown param fails loudly)."""
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        assert name in ids, f"no sample value for <{name}> in {rule}: add one to sample_ids"
        return str(ids[name])

    return re.sub(r"<([^>]+)>", value, rule)


def open_route(client, method: str, path: str, token: str | None):
    """GET or POST a route as a browser form would (with the CSRF token when given)."""
    data = {"csrf_token": token} if method == "POST" else None
    return client.open(path, method=method, data=data)


def routes_not_sending_to_sign_in(client, rules, ids: dict, token: str | None) -> list[str]:
    """Each route opened anonymously; those that do not redirect to /login?next=<path>."""
    wrong = []
    for endpoint, rule, method in rules:
        path = route_path(rule, ids)
        response = open_route(client, method, path, token)
        location = urlsplit(response.headers.get("Location", ""))
        if not (response.status_code == 302 and location.path == "/login"
                and parse_qs(location.query).get("next") == [path]):
            wrong.append(f"{method} {path} ({endpoint}): {response.status_code} "
                         f"{response.headers.get('Location')}")
    return wrong


def routes_not_refused(client, rules, ids: dict, token: str | None) -> list[str]:
    """Each route opened by the signed-in account; those that do not answer 403."""
    wrong = []
    for endpoint, rule, method in rules:
        path = route_path(rule, ids)
        response = open_route(client, method, path, token)
        if response.status_code != 403:
            wrong.append(f"{method} {path} ({endpoint}): {response.status_code}")
    return wrong




def assert_admin_opens(client, auth, rule: str, method: str, ids: dict) -> None:
    """An admin signs in and opens the route: not refused, not an error, not sent to sign in,
    and a page it asks for (GET) is there."""
    add_user("admin", Role.ADMIN)
    auth.login("admin", "pass word")
    token = auth.csrf_token("/organiser/")
    response = open_route(client, method, route_path(rule, ids), token)
    assert response.status_code != 403
    assert response.status_code < 500
    assert not (response.status_code == 302
                and urlsplit(response.headers["Location"]).path == "/login")
    if method == "GET":
        assert response.status_code == 200
