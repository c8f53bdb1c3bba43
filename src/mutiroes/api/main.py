from mutiroes import __version__
from mutiroes.api import errors
from mutiroes.api.openapi import OPENAPI_EXTRA, MutiroesAPI
from mutiroes.api.parser import JsonOnlyParser
from mutiroes.api.routers import admin_jobs, auth, certificates, community, events, impact, participation, users

DESCRIPTION = """
Mutirões: community environmental volunteering. Organisers publish events; volunteers find events
near them, join (with capacity, approval and a waiting list) and check in.

Every error body is `{"code", "message", "details"}`. Authenticate with `Authorization: Bearer <access>`
from `POST /api/v1/auth/token`. POSTs that create something accept an optional `Idempotency-Key`.
"""

api = MutiroesAPI(
    title="Mutirões API",
    version=__version__,
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    openapi_extra=OPENAPI_EXTRA,
    parser=JsonOnlyParser(),
)
errors.install(api)
api.add_router("/v1/auth", auth.router)
for router in (
    users.router,
    events.router,
    participation.router,
    community.router,
    impact.router,
    certificates.router,
    admin_jobs.router,
):
    api.add_router("/v1", router)
