"""Flask extensions, created once and bound in the factory."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from htmx_flask import Htmx

login_manager = LoginManager()
csrf = CSRFProtect()
htmx_ext = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def contact_address_key():
    """The rate-limit key of a contact submission: the sender's address as typed (form field or JSON `email`), so
    one address cannot flood the desk from many machines."""
    from flask import request

    address = request.form.get("email") if request.form else None
    if address is None:
        body = request.get_json(silent=True) if request.is_json else None
        address = body.get("email") if isinstance(body, dict) else None
    address = str(address or "").strip().lower()[:254]
    return f"contact-address:{address}" if address else f"contact-address-none:{get_remote_address()}"


def contact_accepted(response):
    """Count a submission against its address only when it was taken (a typo that fails validation does not)."""
    return response.status_code < 400
