"""WSGI entry point: ``gunicorn wsgi:app``."""

from werkzeug.middleware.proxy_fix import ProxyFix

from portal import create_app

app = create_app()

if app.config["TRUSTED_PROXY_HOPS"]:
    # Behind a reverse proxy the client address (sign-in limits) and https come from its headers.
    hops = app.config["TRUSTED_PROXY_HOPS"]
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
