"""The OpenAPI document is the contract clients are generated from: what ninja derives, finished here.

ninja knows the routes, their bodies and their declared statuses. What it cannot know is written here, once
for every operation: the tags' descriptions, one bearer scheme (ninja names one scheme per auth class), the
statuses answered around the handler (body parsing, the Idempotency-Key middleware, a database outage),
request-body defaults moved into descriptions, and the links from a created object to what hangs off it.
"""

import json
import re
from typing import Any

from ninja import NinjaAPI
from ninja.errors import ValidationError

from mutiroes.api.auth import JWTBearer, OptionalJWTBearer, StaffJWTBearer
from mutiroes.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from mutiroes.api.idempotency import NOT_REPLAYED as IDEMPOTENCY_EXEMPT
from mutiroes.api.schemas.common import CrossFieldError

TAGS = [
    {"name": "auth", "description": "Registration, tokens (obtain, refresh, log out) and passwords."},
    {"name": "accounts", "description": "The caller's account, profile, e-mail settings, stats, badges and LGPD."},
    {"name": "events", "description": "Events: search, create, edit, publish, cancel; categories, calendar, stats."},
    {"name": "participation", "description": "Joining and leaving, the waiting list, approval and check-in."},
    {"name": "community", "description": "What an event needs and who brings it, photos and comments."},
    {"name": "impact", "description": "Impact reports of events and the public totals computed from them."},
    {"name": "certificates", "description": "Volunteer hours and their adjustments, certificates, verification."},
    {"name": "admin", "description": "Staff only: the scheduler's jobs and their runs."},
]
SERVERS = [{"url": "/", "description": "The server this document was fetched from"}]
INFO = {
    "license": {"name": "MIT", "identifier": "MIT"},
    "contact": {"name": "Mutirões", "url": "https://mutiroes.org"},
}
OPENAPI_EXTRA = {"info": INFO, "tags": TAGS}

BEARER = "bearerAuth"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access token from POST /api/v1/auth/token, in `Authorization: Bearer <access>`.",
    }
}
STAFF_ONLY = "Staff only."

IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Same key from the same user within 24 h replays the first response and creates nothing new.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x20-\\x7e]+$"},
}
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# Answered around the handler (body parsing, the Idempotency-Key middleware), so no route lists them itself;
# clients are generated from this schema, so they are declared here for every operation they can reach.
BODY_STATUSES = {400: "Malformed body: not JSON, not UTF-8, or nested too deep", 413: "Request body too large"}
JSON_BODY_STATUSES = {415: "The body is not declared as application/json"}
# ApiHygieneMiddleware refuses a NUL anywhere in the URL before routing; ninja answers 422 for a path or
# query parameter of the wrong type or range (e.g. /events/abc).
URL_STATUSES = {400: "Malformed URL: NUL characters in the path or query string"}
PARAMETER_STATUSES = {422: "Invalid path or query parameter"}
# Every operation reads the database (the token's user at least): while it is down or its breaker is open the
# answer is 503 with Retry-After (api/errors.py), from any route, not only those with a cached fallback.
UNAVAILABLE_STATUSES = {503: "The database is unavailable (down, or its breaker is open); retry after Retry-After"}
HEADERS = {
    "RetryAfter": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "IdempotentReplayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "XRequestID": {
        "description": "Set by the gateway on every response (and passed to the API replica, for its logs)",
        "schema": {"type": "string"},
    },
}
RETRY_AFTER_STATUSES = {"429", "503"}
# What a successful answer creates, as a path parameter of other operations, and where in the body its value is:
# each is linked to every operation that needs only that parameter and the producer's own (an event -> join,
# participants, report, resources, photos, comments...), so stateful clients and testers can follow them.
PRODUCERS = {
    "createEvent": ("event_id", "id"),
    "joinEvent": ("participation_id", "id"),
    "createResource": ("resource_id", "id"),
    "uploadPhoto": ("photo_id", "id"),
    "createComment": ("comment_id", "id"),
    "requestMonthlyReport": ("job_id", "job_id"),
    "runJob": ("job_id", "job_id"),
    "register": ("username", "username"),
}
# Not there right after the event is created: a report until one is filed, a certificate until an ended event's
# check-in. Linked from what makes them instead, so that a client following a link finds what it names.
NOT_YET = {"getReport", "downloadCertificate"}
FOLLOW_UPS = {"createReport": ["getReport"], "replaceReport": ["getReport"]}
IDEMPOTENCY_STATUSES = {
    409: "The first request with this Idempotency-Key is still running",
    413: "Request body too large",
    422: "This Idempotency-Key was used for a different request, or is malformed",
}


class MutiroesAPI(NinjaAPI):
    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> ValidationError:
        # ninja turns a validator's exception into its text; a CrossFieldError's field names are kept first, so
        # that a rule over several fields is reported under each of them (api/errors.py), not under no name.
        error = super().validation_error_from_error_contexts(error_contexts)
        raised = [
            item.get("ctx", {}).get("error")
            for context in error_contexts
            for item in context.pydantic_validation_error.errors(include_url=False)
        ]
        for item, exc in zip(error.errors, raised, strict=True):
            if isinstance(exc, CrossFieldError):
                item["fields"] = list(exc.fields)
        return error

    def get_openapi_operation_id(self, operation: Any) -> str:
        # Handlers are named verb_noun and unique across routers: `join_event` → `joinEvent`, which is what a
        # generated client calls the method (the default, module path + name, makes names nobody would type).
        first, *rest = operation.view_func.__name__.split("_")
        return first + "".join(word.capitalize() for word in rest)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, path_item in schema.get("paths", {}).items():
            for method, operation in path_item.items():
                _declare_surrounding_statuses(operation)
                if method == "post" and operation.get("security") and not path.startswith(IDEMPOTENCY_EXEMPT):
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                    _declare(operation, IDEMPOTENCY_STATUSES)
                _one_bearer_scheme(operation)
                _declare_headers_and_media_types(operation)
        schema["components"]["securitySchemes"] = SECURITY_SCHEMES
        schema["components"]["headers"] = HEADERS
        schema["servers"] = SERVERS
        _link_created_objects(schema)
        _drop_unused_components(schema)
        _unwrap_single_all_of(schema["components"]["schemas"])
        inputs = _components_under(schema, "requestBody")
        _describe_input_defaults(schema, inputs)
        _require_every_output_field(schema, set(schema["components"]["schemas"]) - inputs)
        return schema


def _declare_surrounding_statuses(operation: dict[str, Any]) -> None:
    if "requestBody" in operation:
        _declare(operation, BODY_STATUSES)
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        _declare(operation, JSON_BODY_STATUSES)
    _declare(operation, URL_STATUSES)
    _declare(operation, UNAVAILABLE_STATUSES)
    if any(parameter.get("in") in {"path", "query"} for parameter in operation.get("parameters", [])):
        _declare(operation, PARAMETER_STATUSES)


def _declare_headers_and_media_types(operation: dict[str, Any]) -> None:
    replayable = any(parameter["name"] == IDEMPOTENCY_HEADER for parameter in operation.get("parameters", []))
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = {"$ref": "#/components/headers/XRequestID"}
        if str(status) in RETRY_AFTER_STATUSES:
            headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
        if replayable and str(status).startswith("2"):
            headers["Idempotent-Replayed"] = {"$ref": "#/components/headers/IdempotentReplayed"}
        content = response.get("content", {})
        if len(content) > 1 and "application/json" in content:
            # A download (CSV, iCalendar) is only its own media type: ninja adds JSON for the `str` it is declared as.
            del content["application/json"]
            for media in content.values():
                media["schema"] = {"type": "string"}


def _path_parameters(path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path))


def _link_parameters(name: str, path: str, target: dict[str, Any], target_path: str) -> dict[str, str] | None:
    """How the operation `name` at `path` fills in the path of `target`, or None if it leads to no such thing."""
    needed, known = _path_parameters(target_path), _path_parameters(path)
    if target["operationId"] in FOLLOW_UPS.get(name, ()):
        return {param: f"$request.path.{param}" for param in sorted(needed)}
    if name not in PRODUCERS or target["operationId"] in NOT_YET | {name}:
        return None
    created, field = PRODUCERS[name]
    if created not in needed or not needed <= known | {created}:
        return None
    return {param: f"$request.path.{param}" for param in sorted(needed - {created})} | {
        created: f"$response.body#/{field}"
    }


def _link_created_objects(schema: dict[str, Any]) -> None:
    operations = [(path, op) for path, item in schema["paths"].items() for op in item.values()]
    for path, producer in operations:
        name = producer["operationId"]
        links = {}
        for target_path, target in operations:
            parameters = _link_parameters(name, path, target, target_path)
            if parameters is not None:
                links[target["operationId"]] = {"operationId": target["operationId"], "parameters": parameters}
        if links:
            for status, response in producer["responses"].items():
                if str(status).startswith("2"):
                    response["links"] = links


def _one_bearer_scheme(operation: dict[str, Any]) -> None:
    """ninja names a scheme per auth class; the contract has one bearer scheme, optional or not, staff or not."""
    names = {name for requirement in operation.get("security", []) for name in requirement}
    if not names:
        operation["security"] = []  # public: no token is needed (nor looked at)
    elif OptionalJWTBearer.__name__ in names:
        operation["security"] = [{BEARER: []}, {}]  # a token shows more (drafts, my_participation); none is fine
    else:
        operation["security"] = [{BEARER: []}]
    if StaffJWTBearer.__name__ in names and not operation.get("description", "").startswith(STAFF_ONLY):
        operation["description"] = f"{STAFF_ONLY} {operation.get('description', '')}".strip()
    unknown = names - {JWTBearer.__name__, OptionalJWTBearer.__name__, StaffJWTBearer.__name__}
    if unknown:
        raise ValueError(f"auth classes without a place in the contract: {sorted(unknown)}")


def _referenced(schema: dict[str, Any], start: Any) -> set[str]:
    """The components `start` refers to, and those they refer to in turn (NotificationSettingsIn → EmailTogglesIn)."""
    components = schema["components"]["schemas"]
    pending, found = set(_REF.findall(json.dumps(start))), set()
    while pending:
        name = pending.pop()
        found.add(name)
        pending |= set(_REF.findall(json.dumps(components.get(name, {})))) - found
    return found


def _components_under(schema: dict[str, Any], key: str) -> set[str]:
    return _referenced(schema, [op[key] for item in schema["paths"].values() for op in item.values() if key in op])


def _describe_input_defaults(schema: dict[str, Any], inputs: set[str]) -> None:
    """Request bodies' defaults move into the field's description.

    Code generators (openapi-typescript's default options among them) read a `default` on a component as "the
    server always sends it" and make the field required, so a client could not leave out an optional field. A
    null default only means "left out" (PATCH bodies): it is dropped.
    """
    inline = [
        media.get("schema", {})
        for item in schema["paths"].values()
        for op in item.values()
        for media in op.get("requestBody", {}).get("content", {}).values()
    ]
    for body in inline:
        if "properties" in body:
            body["additionalProperties"] = False  # a form's fields are an InSchema too: unknown fields are a 422
        for field in body.get("properties", {}).values():
            if field.get("format") == "binary":
                field["minLength"] = 1  # Django drops an empty file part: it is no file at all
    for body in [schema["components"]["schemas"][name] for name in inputs] + inline:
        for field in body.get("properties", {}).values():
            if "default" in field:
                default = field.pop("default")
                if default is not None:
                    text = f"Default: {json.dumps(default, ensure_ascii=False)}."
                    field["description"] = " ".join(filter(None, [field.get("description"), text]))


def _require_every_output_field(schema: dict[str, Any], outputs: set[str]) -> None:
    """The server sends every field of what it answers (null where there is no value): all are required."""
    for name in outputs:
        component = schema["components"]["schemas"][name]
        properties = component.get("properties", {})
        for field in properties.values():
            field.pop("default", None)
        if properties:
            component["required"] = list(properties)


_REF = re.compile(r'"#/components/schemas/([^"]+)"')


def _unwrap_single_all_of(node: Any) -> None:
    """pydantic wraps a $ref in a one-item allOf to give it a description; OpenAPI 3.1 allows siblings of $ref."""
    if isinstance(node, dict):
        if len(node.get("allOf", ())) == 1:
            node.update(node.pop("allOf")[0])
        for value in node.values():
            _unwrap_single_all_of(value)
    elif isinstance(node, list):
        for value in node:
            _unwrap_single_all_of(value)


def _drop_unused_components(schema: dict[str, Any]) -> None:
    """ninja also emits the models of query parameters (PageParams, EventFiltersIn), which nothing refers to."""
    components = schema["components"]["schemas"]
    for name in set(components) - _referenced(schema, schema["paths"]):
        del components[name]


def _declare(operation: dict[str, Any], statuses: dict[int, str]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in statuses.items():
        if status not in responses and str(status) not in responses:
            responses[status] = {"description": description, "content": ERROR_CONTENT}
