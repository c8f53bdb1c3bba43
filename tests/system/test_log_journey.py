"""JSON logs of a whole journey, from the real processes (`mutiroes serve`, `mutiroes worker`), hold no secret.

A volunteer registers, confirms the address from the e-mailed link, signs in, adds a phone number, joins an event
(the worker sends the registration e-mail), forgets the password, resets it from the e-mailed link and signs in
again; one wrong password on the way. Every line both processes wrote must be one JSON object with the documented
fields, the ids must be there (request and user on the API's lines, job and message on the worker's), and no
password, token, e-mail address or phone number used in the journey may appear in any line.
"""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.gateway.support import Backend, request
from tests.support.polling import wait_for
from tests.system.support import worker_env

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

FIELDS = {"timestamp", "level", "logger", "message", "request_id", "user_id", "trace_id", "span_id", "job",
          "message_id"}  # fmt: skip
EMAIL = "Rafaela.Souza+mutirao@example.org"
PASSWORD = "Primeira-Senha-Secreta-2026"
NEW_PASSWORD = "Segunda-Senha-Secreta-2027"
PHONE = "+55 (11) 98765-4321"
JSON_LOGS = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}


# The app's own request lines (path only), or gunicorn's access log (query strings too: tokens must be masked).
@pytest.fixture(params=["true", "false"], ids=["request-lines", "gunicorn-access-log"])
def api(request, tmp_path, settings, redis_server, smtp_server, workers):
    env = {
        **worker_env(redis_url=redis_server.url(), smtp_port=smtp_server.port, data_dir=tmp_path),
        **JSON_LOGS,
        "LOG_REQUESTS": request.param,
        "SECRET_KEY": settings.SECRET_KEY,
        "EMBEDDED_WORKER": "false",
        "EMBEDDED_SCHEDULER": "false",
        "CACHE_URL": redis_server.url(1),
        "LOGIN_THROTTLE": "100/m",
    }
    backend = Backend(0, env=env, base_dir=tmp_path, workers=1).start()
    backend.wait_live()
    yield backend
    backend.kill()


def _call(api, method, path, body=None, token=None):
    reply = request(api.port, method, path, json_body=body, token=token)
    assert reply.status < 500, reply
    return reply


def _mail_to(smtp_server, subject_word: str):
    found = [m for m in smtp_server.messages if subject_word in m.subject.lower()]
    return found[-1] if found else None


def test_the_json_logs_of_a_whole_journey_hold_no_secret(
    api, event_factory, redis_server, smtp_server, workers, settings
):
    # The reset link is signed by the worker and checked by the API: one SECRET_KEY, as in production.
    same_key = {**JSON_LOGS, "SECRET_KEY": settings.SECRET_KEY}
    worker = workers.start(redis_url=redis_server.url(), smtp_port=smtp_server.port, extra_env=same_key)
    event = event_factory(max_participants=10)

    account = {"username": "rafaela", "email": EMAIL, "password": PASSWORD, "first_name": "Rafaela"}
    registered = _call(api, "POST", "/api/v1/auth/register", account)
    assert registered.status == 201, registered
    # The address is confirmed from the e-mailed link (signed token in the query string, posted by the web app).
    wait_for(lambda: _mail_to(smtp_server, "confirme") is not None, timeout_s=30, what="the verification e-mail")
    verify_link = re.search(r"http\S+/verificar-email\?\S+", _mail_to(smtp_server, "confirme").text()).group(0)
    verify_token = parse_qs(urlsplit(verify_link).query)["token"][0]
    assert _call(api, "POST", "/api/v1/auth/email/verify", {"token": verify_token}).status == 204
    assert _call(api, "POST", "/api/v1/auth/token", {"username": EMAIL, "password": "not-" + PASSWORD}).status == 401
    tokens = _call(api, "POST", "/api/v1/auth/token", {"username": "rafaela", "password": PASSWORD}).json()
    me = _call(api, "PATCH", "/api/v1/users/me", {"phone": PHONE}, token=tokens["access"])
    assert me.status == 200, me
    assert _call(api, "POST", f"/api/v1/events/{event.pk}/join", token=tokens["access"]).status == 201
    wait_for(
        lambda: _mail_to(smtp_server, event.title.lower()) is not None, timeout_s=30, what="the registration e-mail"
    )
    # The mail client's one-click unsubscribe: the signed token is in the query string.
    one_click = re.search(
        r"<http[^>]*?(/api/\S+?)>", str(_mail_to(smtp_server, event.title.lower()).message["List-Unsubscribe"])
    )
    unsubscribe_path = one_click.group(1)
    assert _call(api, "POST", unsubscribe_path).status == 200
    refreshed = _call(api, "POST", "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}).json()

    assert _call(api, "POST", "/api/v1/auth/password/reset", {"email": EMAIL.upper()}).status == 202
    wait_for(lambda: _mail_to(smtp_server, "senha") is not None, timeout_s=30, what="the password-reset e-mail")
    reset_mail = _mail_to(smtp_server, "senha")
    link = re.search(r"http\S+/redefinir-senha\?\S+", reset_mail.text()).group(0)
    query = parse_qs(urlsplit(link).query)
    reset = {"uid": query["uid"][0], "token": query["token"][0]}
    confirm = _call(api, "POST", "/api/v1/auth/password/reset/confirm", {**reset, "new_password": NEW_PASSWORD})
    assert confirm.status == 204, confirm
    again = _call(api, "POST", "/api/v1/auth/token", {"username": EMAIL, "password": NEW_PASSWORD})
    assert again.status == 200, again

    unsubscribe_token = parse_qs(urlsplit(unsubscribe_path).query)["token"][0]
    secrets = [PASSWORD, NEW_PASSWORD, EMAIL, EMAIL.lower(), EMAIL.upper(), "98765-4321", "987654321",
               tokens["access"], tokens["refresh"], refreshed["access"], refreshed["refresh"], again.json()["access"],
               reset["token"], unsubscribe_token, verify_token]  # fmt: skip
    lines = {"api": api.log_path.read_text().splitlines(), "worker": worker.log().splitlines()}
    records = {name: [_parse(line, name) for line in found if line.strip()] for name, found in lines.items()}

    for name, found in lines.items():
        for line in found:
            leaked = [secret for secret in secrets if secret in line]
            assert not leaked, f"{name} logged {leaked!r}: {line}"
    if api.env["LOG_REQUESTS"] == "true":
        join_line = [r for r in records["api"] if r["logger"] == "mutiroes.request" and "/join" in r["message"]]
        assert [(r["user_id"], r["status"]) for r in join_line] == [(str(registered.json()["id"]), 201)]
        assert all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"] or "") for r in join_line)
    else:
        [access] = [r for r in records["api"] if r["logger"] == "gunicorn.access" and "unsubscribe" in r["message"]]
        assert "token=[redacted]" in access["message"]
    worked = [r for r in records["worker"] if r["job"] and r["message_id"]]
    assert {r["job"] for r in worked} >= {"send_event_notification_email"}, records["worker"][-20:]


def _parse(line: str, process: str) -> dict:
    try:
        record = json.loads(line)
    except ValueError:
        pytest.fail(f"{process} wrote a line that is not JSON: {line!r}")
    assert isinstance(record, dict) and record.keys() >= FIELDS, f"{process}: {line}"
    return record
