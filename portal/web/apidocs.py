"""The API's documentation: the OpenAPI document for programs, and a page that renders it for people."""
from flask import Blueprint, current_app, jsonify, url_for

from ..api.errors import EXPLANATIONS, KINDS
from ..api.openapi import document
from ..htmx import render

bp = Blueprint("api_docs", __name__)


@bp.route("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of /api/v1, generated from the schemas that validate requests."""
    response = jsonify(document())
    response.headers["Access-Control-Allow-Origin"] = "*"  # a public description: any tool may read it
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/api/docs")
def page():
    """The API reference for people: the OpenAPI document rendered by Swagger UI, and the error codes."""
    errors = [
        {"status": status, "code": code, "title": title, "meaning": EXPLANATIONS[code],
         "anchor": "error-" + code.lower().replace("_", "-")}
        for status, (code, title) in sorted(KINDS.items())
    ]
    api_base = url_for("api.me", _external=True).rsplit("/", 1)[0]
    return render("api/docs.html", errors=errors, api_base=api_base, max_mb=current_app.config["MAX_ATTACHMENT_MB"])
