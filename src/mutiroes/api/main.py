import json
import re
from typing import Any

from ninja import NinjaAPI

from mutiroes import __version__
from mutiroes.api import errors
from mutiroes.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from mutiroes.api.idempotency import NOT_REPLAYED as IDEMPOTENCY_EXEMPT
from mutiroes.api.routers import admin_jobs, auth, community, events, impact, participation, users

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
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# Answered around the handler (body parsing, the Idempotency-Key middleware), so no route lists them itself;
# clients are generated from this schema, so they are declared here for every operation they can reach.
BODY_STATUSES = {400: "Malformed body: not JSON, not UTF-8, or nested too deep", 413: "Request body too large"}
# ApiHygieneMiddleware refuses a NUL anywhere in the URL before routing; ninja answers 422 for a path or
# query parameter of the wrong type or range (e.g. /events/abc).
URL_STATUSES = {400: "Malformed URL: NUL characters in the path or query string"}
PARAMETER_STATUSES = {422: "Invalid path or query parameter"}
# Every operation reads the database (the token's user at least): while it is down or its breaker is open the
# answer is 503 with Retry-After (api/errors.py), from any route, not only those with a cached fallback.
UNAVAILABLE_STATUSES = {503: "The database is unavailable (down, or its breaker is open); retry after Retry-After"}
IDEMPOTENCY_STATUSES = {
    409: "The first request with this Idempotency-Key is still running",
    413: "Request body too large",
    422: "This Idempotency-Key was used for a different request, or is malformed",
}


class MutiroesAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        # Handlers are named verb_noun and unique across routers: `join_event` → `joinEvent`, which is what a
        # generated client calls the method (the default, module path + name, makes names nobody would type).
        first, *rest = operation.view_func.__name__.split("_")
        return first + "".join(word.capitalize() for word in rest)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, path_item in schema.get("paths", {}).items():
            for operation in path_item.values():
                if "requestBody" in operation:
                    _declare(operation, BODY_STATUSES)
                _declare(operation, URL_STATUSES)
                _declare(operation, UNAVAILABLE_STATUSES)
                if any(parameter.get("in") in {"path", "query"} for parameter in operation.get("parameters", [])):
                    _declare(operation, PARAMETER_STATUSES)
            operation = path_item.get("post")
            if operation is not None and "security" in operation and not path.startswith(IDEMPOTENCY_EXEMPT):
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                _declare(operation, IDEMPOTENCY_STATUSES)
        _describe_input_defaults(schema)
        return schema


def _describe_input_defaults(schema: dict[str, Any]) -> None:
    """Request bodies' defaults move into the field's description.

    Code generators (openapi-typescript's default options among them) read a `default` on a component as "the
    server always sends it" and make the field required, so a client could not leave out an optional field.
    """
    bodies = json.dumps(
        [op["requestBody"] for item in schema["paths"].values() for op in item.values() if "requestBody" in op]
    )
    components = schema.get("components", {}).get("schemas", {})
    pending, inputs = set(_REF.findall(bodies)), set()
    while pending:  # and the components those refer to (NotificationSettingsIn → EmailTogglesIn)
        name = pending.pop()
        inputs.add(name)
        pending |= set(_REF.findall(json.dumps(components.get(name, {})))) - inputs
    for name in inputs:
        for field in components.get(name, {}).get("properties", {}).values():
            if "default" in field:
                default = json.dumps(field.pop("default"), ensure_ascii=False)
                field["description"] = " ".join(filter(None, [field.get("description"), f"Default: {default}."]))


_REF = re.compile(r'"#/components/schemas/([^"]+)"')


def _declare(operation: dict[str, Any], statuses: dict[int, str]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in statuses.items():
        if status not in responses and str(status) not in responses:
            responses[status] = {"description": description, "content": ERROR_CONTENT}


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
for router in (users.router, events.router, participation.router, community.router, impact.router, admin_jobs.router):
    api.add_router("/v1", router)
