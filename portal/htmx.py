"""The only module that reads HX-* headers: page or fragment, redirects that htmx follows, Vary."""
from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request


def is_htmx():
    """An htmx request that wants a fragment (boosted navigation and history restores want the whole page)."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def render(template, fragment=None, status=200, **context):
    """The full page, or only its `fragment` block's partial for htmx; one template source for both."""
    partial = fragment if (fragment and is_htmx()) else None
    context["fragment_only"] = partial is not None
    body = render_template(partial or template, **context)
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


def current_page_path():
    """The path of the page the user is on: for htmx, the page that sent the request, not the fragment URL."""
    if request.htmx and request.htmx.current_url:
        parts = urlsplit(request.htmx.current_url)
        if parts.netloc == request.host:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.full_path.rstrip("?")


def sign_in_first(login_url):
    """Send someone whose session is missing or expired to sign in: a redirect, or 401 + HX-Redirect for htmx."""
    if request.htmx:
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def redirect_to(url):
    """303 for plain forms; htmx follows HX-Redirect, so the browser lands on the real page."""
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)
