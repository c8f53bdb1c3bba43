"""Data for the API fault tests, made through the API itself (registrations, tokens, events)."""

from __future__ import annotations

import itertools
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mutiroes.accounts.verification import email_verification_token
from tests.resilience.stack import Http
from tests.support import api

PASSWORD = "mutirao-na-praia-2024"
_run = itertools.count()


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    token: str


def register(http: Http, prefix: str) -> Account:
    """A new account with its address confirmed, as the link in its e-mail would (the server shares SECRET_KEY)."""
    username = f"{prefix}{secrets.token_hex(3)}"
    email = f"{username}@example.org"
    created = http.post("/api/v1/auth/register", {"username": username, "email": email, "password": PASSWORD})
    assert created.status == 201, (created.status, created.body, created.error)
    token = email_verification_token(user_id=created.body["id"], email=email)
    verified = http.post("/api/v1/auth/email/verify", {"token": token})
    assert verified.status == 204, (verified.status, verified.body, verified.error)
    return Account(created.body["id"], username, login(http, username))


def login(http: Http, username: str) -> str:
    answer = http.post("/api/v1/auth/token", {"username": username, "password": PASSWORD})
    assert answer.status == 200, (answer.status, answer.body, answer.error)
    return str(answer.body["access"])


def register_many(http: Http, prefix: str, count: int) -> list[Account]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda i: register(http, f"{prefix}{i}x"), range(count)))


def category_id(http: Http) -> int:
    answer = http.get("/api/v1/categories")
    assert answer.status == 200, answer.body
    return int(answer.body[0]["id"])


def event_body(category: int, title: str) -> dict[str, Any]:
    return api.event_body(
        category, title=title, description="Retirada de lixo das margens do rio", max_participants=1000
    )


def create_events(http: Http, organizer: Account, count: int, *, prefix: str) -> list[int]:
    category = category_id(http)
    ids = []
    for i in range(count):
        answer = http.post("/api/v1/events", event_body(category, f"{prefix} {i}"), token=organizer.token)
        assert answer.status == 201, (answer.status, answer.body)
        ids.append(int(answer.body["id"]))
    return ids
