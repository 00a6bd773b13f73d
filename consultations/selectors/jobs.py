"""Reads for consolidation jobs and reports, scoped by the round's visibility (members-only rounds
need a signed-in reader)."""
from __future__ import annotations

from workbench.errors import NotFound
from workbench.roles import is_facilitator

from ..jobs.services import can_consolidate
from ..models import DraftingRound, Job, JobState, Report
from .rounds import round_queryset

ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


def progress_percent(job: Job | None) -> int:
    if job is None:
        return 0
    if job.state == JobState.SUCCEEDED:
        return 100
    if not job.parts_total:
        return 0
    return min(100, int(100 * job.parts_done / job.parts_total))


FAILED_NOTE = "The job failed; the facilitators can see why and run it again."


def job_error_for(user, job: Job | None) -> str:
    """A failed job's error as this reader may see it: the text (exception names, the failing
    clause) is for facilitators; everyone else learns only that it failed."""
    if job is None or not job.error:
        return ""
    return job.error if is_facilitator(user) else FAILED_NOTE


def job_get(user, pk) -> Job:
    job = Job.objects.select_related("round", "report").filter(pk=pk, round__in=round_queryset(user)).first()
    if job is None:
        raise NotFound(f"No job {pk}.")
    return job


def report_get(user, pk) -> Report:
    report = Report.objects.select_related("round", "job").filter(pk=pk, round__in=round_queryset(user)).first()
    if report is None:
        raise NotFound(f"No report {pk}.")
    return report


def reports_of(round: DraftingRound):
    return Report.objects.filter(round=round).select_related("job").defer("json", "markdown", "html").order_by("-created_at", "-pk")


def latest_report(round: DraftingRound) -> Report | None:
    return Report.objects.filter(round=round).select_related("job").order_by("-created_at", "-pk").first()


def latest_report_get(round: DraftingRound) -> Report:
    report = latest_report(round)
    if report is None:
        raise NotFound(f"Round {round.number} has no report yet.")
    return report


def round_job_context(user, round) -> dict:
    """What the round page shows about consolidation: the latest job and its progress, the latest
    report, and whether this reader may start a consolidation."""
    job = Job.objects.filter(round=round).order_by("-created_at", "-pk").first()
    report = (
        Report.objects.filter(round=round).defer("json", "markdown", "html").order_by("-created_at", "-pk").first()
    )
    return {
        "latest_job": job,
        "job_progress": progress_percent(job),
        "job_error": job_error_for(user, job),
        "job_active": bool(job and job.state in ACTIVE_STATES),
        "latest_report": report,
        "can_consolidate": can_consolidate(user, round),
    }
