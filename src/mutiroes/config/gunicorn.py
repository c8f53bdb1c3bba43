"""Gunicorn hooks for ``mutiroes serve`` and ``mutiroes dashboard`` (``--config python:mutiroes.config.gunicorn``).

The master registers the instance in Consul once it listens (``when_ready``) and deregisters it on exit
(``on_exit``); ``--name`` (gunicorn's proc_name) says which service it is. Both are no-ops unless CONSUL_ENABLED,
and neither waits for Consul: registration runs on a background thread. A SIGKILLed master deregisters nothing:
its /liveness check fails, Consul marks it critical and the gateway's next render leaves it out.
``child_exit`` tells the multiprocess metrics that a worker is gone.

gunicorn's own log lines go through the app's LOGGING (``logconfig_dict``): JSON too when LOG_FORMAT=json.
"""

from typing import Any

_registration: Any = None


def _logconfig() -> dict:
    # gunicorn's own lines and its access log in the app's format and handler. With LOG_REQUESTS the app writes one
    # line per request itself (ids, no query string), and the access log is silenced.
    from django.conf import settings

    own = {"handlers": ["console"], "level": "INFO", "propagate": False}
    access = {**own, "level": "WARNING" if settings.LOG_REQUESTS else "INFO"}
    loggers = {**settings.LOGGING["loggers"], "gunicorn.error": own, "gunicorn.access": access}
    return {**settings.LOGGING, "loggers": loggers}


logconfig_dict = _logconfig()


def _bound(server: Any) -> tuple[str | None, int | None]:
    for listener in getattr(server, "LISTENERS", []):
        name = listener.sock.getsockname()
        if isinstance(name, tuple):  # TCP (a unix socket's name is a path: nothing to register)
            return name[0], name[1]
    return None, None


def when_ready(server: Any) -> None:
    global _registration
    from mutiroes.infra.consul import SERVICES, register_process

    role = {service: role for role, service in SERVICES.items()}.get(server.cfg.proc_name)
    host, port = _bound(server)
    if role is None or port is None:
        return
    try:
        _registration = register_process(role, bind_host=host, port=port)
    except Exception:  # a broken Consul setup must not keep the API from serving
        server.log.exception("consul: registration of %s not started", role)


def on_exit(server: Any) -> None:
    if _registration is not None:
        _registration.stop()


def child_exit(server: Any, worker: Any) -> None:
    # Multiprocess metrics: a dead worker's in-flight gauge must not count any more (its counters still do).
    from mutiroes.infra.metrics import mark_process_dead

    mark_process_dead(worker.pid)
