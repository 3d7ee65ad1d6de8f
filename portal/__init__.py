"""The support desk application: create_app() builds it."""
import os
from pathlib import Path

from flask import Flask, render_template, request

from . import config, db as database, jobs
from .extensions import csrf, htmx_ext, limiter, login_manager
from .services.errors import NotFound, PermissionDenied, ServiceError

ROOT = Path(__file__).resolve().parent.parent

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


def create_app(test_config=None):
    """Build the app: configuration, database, extensions, blueprints, error pages and CLI commands."""
    instance_path = os.environ.get("INSTANCE_PATH") or str(ROOT / "instance")
    if test_config and test_config.get("INSTANCE_PATH"):
        instance_path = test_config["INSTANCE_PATH"]
    instance_path = os.path.abspath(instance_path)
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    from .safe_json import JSONProvider

    app.json = JSONProvider(app)  # request JSON nested too deep is refused before the parser recurses
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.load_secret_key(app.instance_path)
    # The largest request: a handful of attachments at the per-file limit.
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_ATTACHMENT_MB"] * 1024 * 1024 * 5 + 1024 * 1024)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)

    database.init_app(app)
    jobs.init_app(app)
    htmx_ext.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from .services import accounts

    login_manager.user_loader(accounts.load_user)

    from .web import auth, customer, public

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(customer.bp)

    from .web import admin, agent, reports

    app.register_blueprint(agent.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(reports.bp)

    from .web import macros as macro_views

    app.register_blueprint(macro_views.bp)

    from .web import category_fields

    app.register_blueprint(category_fields.bp)
    app.register_blueprint(category_fields.staff_bp)

    from .web import organizations as organization_views

    app.register_blueprint(organization_views.bp)

    from .web import moderation, privacy

    app.register_blueprint(privacy.bp)
    app.register_blueprint(moderation.bp)

    from .web import attachments as attachment_views, help as help_views, help_editor

    app.register_blueprint(help_views.bp)
    app.register_blueprint(help_editor.bp)
    app.register_blueprint(attachment_views.bp)

    from .web import account, apidocs, assistant
    from . import api

    assistant.init_app(app)

    app.register_blueprint(api.bp)
    app.register_blueprint(apidocs.bp)
    app.register_blueprint(account.bp)

    from . import cli, notifications, templating, webhook_events

    cli.init_app(app)
    notifications.init_app(app)
    webhook_events.init_app(app)
    templating.init_app(app)
    _register_error_pages(app)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.path.startswith("/t/"):
            # The secret link must not leak through Referer or caches.
            headers["Referrer-Policy"] = "no-referrer"
            headers["Cache-Control"] = "no-store"
        return response

    return app


def _register_error_pages(app):
    def page(status, title, message):
        return render_template("shared/error.html", status=status, title=title, message=message), status

    @app.errorhandler(NotFound)
    def _not_found(error):
        return page(404, "Not found", error.message)

    @app.errorhandler(PermissionDenied)
    def _forbidden(error):
        return page(403, "Not allowed", error.message)

    @app.errorhandler(ServiceError)
    def _service_error(error):
        return page(error.status, "Something is not right", error.message)

    @app.errorhandler(404)
    def _http_not_found(error):
        return page(404, "Not found", "There is no page at this address.")

    @app.errorhandler(403)
    def _http_forbidden(error):
        return page(403, "Not allowed", "You do not have access to this page.")

    @app.errorhandler(405)
    def _method(error):
        return page(405, "Not allowed", "This address does not accept that kind of request.")

    @app.errorhandler(413)
    def _too_large(error):
        limit = app.config["MAX_ATTACHMENT_MB"]
        return page(413, "Too large", f"That upload is too large. Each file can be at most {limit:g} MB.")

    @app.errorhandler(429)
    def _too_many(error):
        return page(429, "Slow down", "Too many attempts in a short time. Wait a minute and try again.")

    @app.errorhandler(400)
    def _bad_request(error):
        description = getattr(error, "description", "") or ""
        if "CSRF" in description:
            return page(400, "Form expired", "This form has expired. Go back, reload the page and try again.")
        return page(400, "Bad request", "The request could not be understood.")
