"""Admin (staff only): the scheduler's jobs and runs, and the monthly impact report on demand."""

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Router, Status
from pydantic import StringConstraints

from mutiroes.api.auth import staff
from mutiroes.api.schemas.admin_jobs import JobAccepted, JobListOut, JobRunOut, MonthlyReportIn
from mutiroes.api.schemas.common import Error, Id
from mutiroes.jobs import ledger, services

JobName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")]


router = Router(tags=["admin"], auth=staff)
DENIED = {401: Error, 403: Error}


def _username(request: HttpRequest) -> str:
    return request.auth.get_username()


@router.post("/admin/reports/monthly", response={202: JobAccepted, **DENIED, 422: Error})
def request_monthly_report(request: HttpRequest, payload: MonthlyReportIn) -> Status:
    """Staff only. Queue the monthly impact report for a month; the answer names the run to follow."""
    run = services.monthly_report_request(year=payload.year, month=payload.month, requested_by=_username(request))
    return Status(202, {"job_id": run.pk})


@router.get("/admin/jobs", response={200: JobListOut, **DENIED})
def list_jobs(request: HttpRequest) -> dict:
    """Staff only. The scheduler's jobs: schedule, next run and last runs."""
    jobs = services.jobs_overview()
    return {"items": jobs, "count": len(jobs)}


@router.post("/admin/jobs/{name}/run", response={202: JobAccepted, **DENIED, 404: Error, 422: Error})
def run_job(request: HttpRequest, name: Path[JobName]) -> Status:
    """Staff only. Run a scheduled job now, outside its schedule; the answer names the run to follow."""
    run = services.job_run_now(name=name, requested_by=_username(request))
    return Status(202, {"job_id": run.pk})


@router.get("/admin/job-runs/{job_id}", response={200: JobRunOut, **DENIED, 404: Error, 422: Error})
def get_job_run(request: HttpRequest, job_id: Path[Id]) -> object:
    """Staff only. The state of one run in the ledger (queued, running, done, failed, missed)."""
    return ledger.run_get(run_id=job_id)
