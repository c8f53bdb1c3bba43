from datetime import datetime

from ninja import Schema
from pydantic import Field

from mutiroes.api.schemas.common import InSchema
from mutiroes.api.schemas.enums import JobRunState, JobTrigger


class MonthlyReportIn(InSchema):
    year: int = Field(ge=2000, le=2200)
    month: int = Field(ge=1, le=12, description="1..12; the current month or an earlier one")


class JobAccepted(Schema):
    job_id: int = Field(description="the run in the ledger: GET /api/v1/admin/job-runs/{job_id}")


class JobRunOut(Schema):
    job_id: int
    job: str
    period: str = Field(description='what the run covers: "2026-11-29", "2026-10", "2026-11-29T14-0300", "manual …"')
    state: JobRunState
    trigger: JobTrigger
    scheduled_for: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    message_id: str
    attempts: int = Field(description="worker attempts so far (at most 3)")
    messages: int = Field(description="messages enqueued by the run")
    requested_by: str

    @staticmethod
    def resolve_job_id(obj: object) -> int:
        return obj.pk


class JobOut(Schema):
    name: str
    description: str
    cron: dict[str, str]
    time_zone: str
    next_run_at: datetime | None
    last_runs: list[JobRunOut]


class JobListOut(Schema):
    items: list[JobOut]
    count: int
