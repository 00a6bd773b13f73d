"""Report pages: a round's consolidated report (the stored HTML with its CSS bars), and the
facilitators' "Consolidate now" button. Thin: selectors read, services write."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from workbench.errors import DomainError, NotFound

from ..jobs.report import html_fragment
from ..selectors import jobs as selectors
from .rounds import _round_or_404, _round_or_login

JOB_MESSAGES = {
    "queued": "Consolidation job {pk} is queued; this page shows its progress.",
    "running": "Consolidation job {pk} is running; this page shows its progress.",
    "succeeded": "Consolidation job {pk} succeeded: the report is ready.",
    "failed": "Consolidation job {pk} failed; its error is shown below.",
}


def report(request, pk):
    round, login = _round_or_login(request, pk)
    if login:
        return login
    chosen = None
    wanted = request.GET.get("report", "")
    if wanted.isdigit():
        try:
            chosen = selectors.report_get(request.user, int(wanted))
        except NotFound:
            chosen = None
        if chosen is not None and chosen.round_id != round.pk:
            chosen = None
    chosen = chosen or selectors.latest_report(round)
    context = {
        "round": round, "definition": round.definition, "version": round.version, "report": chosen,
        "report_html": mark_safe(html_fragment(chosen.html)) if chosen else "",  # built escaped by jobs.report
        "reports": list(selectors.reports_of(round)[:20]),
        **selectors.round_job_context(request.user, round),
    }
    return render(request, "consultations/reports/report.html", context)


@login_required
@require_POST
def consolidate(request, pk):
    from ..jobs import services

    round = _round_or_404(request, pk)
    try:
        job = services.consolidation_request(actor=request.user, round=round)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        job.refresh_from_db(fields=["state"])
        messages.success(request, JOB_MESSAGES.get(job.state, "Consolidation job {pk}: {state}.").format(pk=job.pk, state=job.state))
    return redirect("consultations:round", pk=round.pk)
