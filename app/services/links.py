"""Addresses of the portal's pages, built the same way in a request, a background job or a command; and the
absolute addresses given to people outside (public form, survey links, anything mailed): from BASE_URL, never
from the Host header a visitor sends."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values) -> str:
    """The page's path (no host): url_for in a request, the app's URL map where there is none (jobs)."""
    if has_request_context():
        return url_for(endpoint, **values)
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    adapter = current_app.url_map.bind(current_app.config.get("SERVER_NAME") or "localhost", script_name=root)
    return adapter.build(endpoint, values)


def external_url(endpoint: str, **values) -> str:
    """An absolute address to hand to someone outside the portal: BASE_URL followed by the page's path.

    Without BASE_URL only the embedded default (the SQLite laptop base, as `make run` starts it) falls back to the
    host of the request being answered; a production portal then gives the path alone (is_external_ready() is
    False and the page says BASE_URL is missing), because a Host header is whatever the visitor sent."""
    base = (current_app.config.get("BASE_URL") or "").strip().rstrip("/")
    if base:
        adapter = current_app.url_map.bind("localhost", script_name="/")
        return base + adapter.build(endpoint, values)
    if is_embedded() and has_request_context():
        return url_for(endpoint, _external=True, **values)
    return path_for(endpoint, **values)


def is_embedded() -> bool:
    """The embedded default: the SQLite base under instance/ (the same test `flask bootstrap` uses)."""
    return str(current_app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite")


def is_external_ready() -> bool:
    """Whether external_url gives absolute addresses (BASE_URL is set, or the embedded default in a request)."""
    return bool((current_app.config.get("BASE_URL") or "").strip()) or (is_embedded() and has_request_context())
