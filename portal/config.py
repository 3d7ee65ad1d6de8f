"""Defaults in code; the environment overrides them."""
import os
import secrets
from pathlib import Path


def _flag(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


def load_secret_key(instance_path):
    """Keep one generated key in the instance folder so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment(instance_path):
    """Return the configuration for this process: code defaults overridden by the environment."""
    upload_folder = os.environ.get("UPLOAD_FOLDER") or os.path.join(instance_path, "uploads")
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(instance_path, "support.db"),
        "UPLOAD_FOLDER": upload_folder,
        "MAX_ATTACHMENT_MB": float(os.environ.get("MAX_ATTACHMENT_MB", "10")),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # With Redis the limits hold across every process and machine that shares it.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://",
        "REDIS_URL": redis_url,
        "JOBS_DATABASE": os.environ.get("JOBS_DATABASE") or os.path.join(instance_path, "jobs.db"),
        "JOBS_IMMEDIATE": _flag("JOBS_IMMEDIATE", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "support@localhost"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_ALIASES": os.environ.get("MAIL_ALIASES", ""),
        "IMAP_URL": os.environ.get("IMAP_URL") or None,
        # Webhooks may go to loopback, private and link-local addresses only when this is on (SSRF guard).
        "WEBHOOK_ALLOW_PRIVATE": _flag("WEBHOOK_ALLOW_PRIVATE", False),
        "MAX_INBOUND_MB": float(os.environ.get("MAX_INBOUND_MB", "30")),
        "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:5000"),
        "SITE_NAME": os.environ.get("SITE_NAME", "Support Desk"),
        "PAGE_SIZE": 25,
        # The assistant (services/assistant.py) is off unless ASSIST_API_URL names an OpenAI-compatible endpoint.
        "ASSIST_API_URL": os.environ.get("ASSIST_API_URL") or None,
        "ASSIST_MODEL": os.environ.get("ASSIST_MODEL", ""),
        "ASSIST_API_KEY": os.environ.get("ASSIST_API_KEY") or None,
        "ASSIST_TIMEOUT": float(os.environ.get("ASSIST_TIMEOUT", "20")),
        "ASSIST_QUOTA": int(os.environ.get("ASSIST_QUOTA", "5")),
        # Privacy and spam defence (services/privacy.py, services/spam.py).
        "TRASH_RETENTION_DAYS": int(os.environ.get("TRASH_RETENTION_DAYS", "30")),
        "CONTACT_MIN_FILL_SECONDS": float(os.environ.get("CONTACT_MIN_FILL_SECONDS", "3")),
        "CONTACT_MAX_LINKS": int(os.environ.get("CONTACT_MAX_LINKS", "3")),
        "CONTACT_LIMIT_PER_IP": os.environ.get("CONTACT_LIMIT_PER_IP", "5 per minute; 30 per hour"),
        "CONTACT_LIMIT_PER_ADDRESS": os.environ.get("CONTACT_LIMIT_PER_ADDRESS", "5 per hour"),
    }
