"""Addresses of the portal's pages, built the same way in a request, a background job or a command."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values) -> str:
    """The page's path (no host): url_for in a request, the app's URL map where there is none (jobs)."""
    if has_request_context():
        return url_for(endpoint, **values)
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    adapter = current_app.url_map.bind(current_app.config.get("SERVER_NAME") or "localhost", script_name=root)
    return adapter.build(endpoint, values)
