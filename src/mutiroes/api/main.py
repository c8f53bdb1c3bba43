from typing import Any

from ninja import NinjaAPI

from mutiroes import __version__
from mutiroes.api import errors
from mutiroes.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from mutiroes.api.routers import auth, community, events, impact, participation, users

DESCRIPTION = """
Mutirões: community environmental volunteering. Organisers publish events; volunteers find events
near them, join (with capacity, approval and a waiting list) and check in.

Every error body is `{"code", "message", "details"}`. Authenticate with `Authorization: Bearer <access>`
from `POST /api/v1/auth/token`. POSTs that create something accept an optional `Idempotency-Key`.
"""

IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Same key from the same user within 24 h replays the first response and creates nothing new.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


class MutiroesAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema.get("paths", {}).values():
            operation = path_item.get("post")
            if operation is not None and "security" in operation:
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        return schema


api = MutiroesAPI(
    title="Mutirões API",
    version=__version__,
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)
api.add_router("/v1/auth", auth.router)
for router in (users.router, events.router, participation.router, community.router, impact.router):
    api.add_router("/v1", router)
