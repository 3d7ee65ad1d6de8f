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
