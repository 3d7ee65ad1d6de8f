"""Themes: the choice is kept on the account (page and API), the page carries it, and every colour of the
stylesheets has a dark counterpart."""
import re
from pathlib import Path

import pytest

from portal.models import THEMES, User
from portal.services import accounts
from portal.services.errors import PermissionDenied, ValidationError

from .conftest import csrf_from, make_user

CSS = Path(__file__).resolve().parents[1] / "static" / "css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(")


def html_theme(client, path="/"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<html lang="en" data-theme="(\w+)"', html).group(1)


def test_set_theme_keeps_a_known_theme_and_refuses_others(app, customer):
    for theme in THEMES:
        accounts.set_theme(customer, theme)
        assert User.get_by_id(customer.id).theme == theme
    with pytest.raises(ValidationError) as error:
        accounts.set_theme(customer, "sepia")
    assert "theme" in error.value.errors
    assert User.get_by_id(customer.id).theme == "dark"
    with pytest.raises(PermissionDenied):
        accounts.set_theme(None, "dark")


def test_the_account_page_switches_the_theme_of_every_page(app, client, auth):
    agent = make_user("agent")
    assert html_theme(client) == "system"  # guests follow their device
    auth.login(agent.email)
    page = client.get("/account/security").get_data(as_text=True)
    assert re.search(r'<input checked [^>]*value="system"', page)
    response = client.post("/account/theme", data={"theme": "dark", "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert html_theme(client, "/agent") == "dark"
    assert html_theme(client, "/tickets/new") == "dark" or html_theme(client, "/") == "dark"

    refused = client.post("/account/theme", data={"theme": "neon", "csrf_token": csrf_from(page)})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="theme-error"' in body and "Choose one of" in body
    assert User.get_by_id(agent.id).theme == "dark"

    assert client.post("/account/theme", data={"theme": "light"}).status_code == 400  # no CSRF token
    assert User.get_by_id(agent.id).theme == "dark"
    client.post("/account/theme", data={"theme": "system", "csrf_token": csrf_from(page)})
    assert html_theme(client, "/agent") == "system"


def test_the_api_reads_and_changes_my_theme(app, client):
    customer = make_user("customer")
    _, secret = accounts.create_token(customer, "theme")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["data"]["theme"] == "system"
    changed = client.patch("/api/v1/me", json={"theme": "dark"}, headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["data"]["theme"] == "dark"
    assert User.get_by_id(customer.id).theme == "dark"
    refused = client.patch("/api/v1/me", json={"theme": "neon"}, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert client.patch("/api/v1/me", json={"theme": "dark"}).status_code == 401


def _root_colours(css):
    """The colour custom properties of app.css's :root block: name -> value."""
    root = re.search(r":root \{(.*?)\n\}", css, re.S).group(1)
    return {name: value for name, value in re.findall(r"(--[\w-]+):\s*([^;]+);", root) if COLOUR.search(value)}


def test_every_colour_variable_has_a_dark_counterpart():
    colours = _root_colours((CSS / "app.css").read_text())
    assert len(colours) > 40
    # The top bar and code blocks are dark in both themes; every other colour names its light and dark value.
    one_sided = [name for name, value in colours.items() if not value.startswith("light-dark(")
                 and not name.startswith(("--topbar", "--code-block"))]
    assert one_sided == [], "write each colour as light-dark(light, dark) so both themes get one"
    css = (CSS / "app.css").read_text()
    assert ':root[data-theme="light"] { color-scheme: light; }' in css
    assert ':root[data-theme="dark"] { color-scheme: dark; }' in css


@pytest.mark.parametrize("sheet", sorted(p.name for p in CSS.glob("*.css")))
def test_stylesheets_use_the_theme_variables_instead_of_colour_literals(sheet):
    css = (CSS / sheet).read_text()
    if sheet == "app.css":
        # The theme blocks are the one place colours are written down.
        css = css[css.index(':root[data-theme="dark"]'):]
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = [(css[:m.start()].count("\n") + 1, m.group(0)) for m in COLOUR.finditer(css)]
    assert found == [], f"{sheet}: colours that would not change with the theme (use a var(--…) from app.css)"
