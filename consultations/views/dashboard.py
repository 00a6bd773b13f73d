"""The facilitator dashboard: rounds and their states with controls, the moderation queue, and the
dispositions table with filters and bulk answers; plus importing comments from other channels."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workbench.errors import DomainError, NotFound
from workbench.models import StakeholderGroup
from workbench.roles import is_facilitator

from ..models import Disposition, Stance
from ..selectors import rounds as selectors
from ..services import comment_io
from ..services import comments as comment_services
from .rounds import DISPOSITION_CHOICES, _forbidden, thread_url

FILTERS = ("round", "anchor", "stance", "disposition", "group")


def _filters(request) -> dict:
    return {name: request.GET.get(name, "") for name in FILTERS}


def dashboard(request):
    if not is_facilitator(request.user):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        return _forbidden(request, "The dashboard is for facilitators.")
    rounds = list(selectors.with_counts(selectors.round_queryset(request.user)).order_by("-opens_at", "-pk"))
    filters = _filters(request)
    selected = None
    if filters["round"]:
        selected = next((r for r in rounds if str(r.pk) == filters["round"]), None)
    elif rounds:
        # Default to the round that most needs answers: open first, then the latest closed one.
        selected = next((r for r in rounds if r.state == "open"), None) or next(
            (r for r in rounds if r.state in ("closed", "consolidated")), rounds[0]
        )
    if selected is not None:
        filters["round"] = str(selected.pk)
    # Anchor filter: empty = every clause, "-" = comments on the whole version only.
    anchor = filters["anchor"].strip()
    table = selectors.disposition_table(
        request.user, round=selected, anchor=None if not anchor else ("" if anchor == "-" else anchor),
        stance=filters["stance"] or None, disposition=filters["disposition"] or None, group=filters["group"] or None,
    ) if selected is not None else None
    page = Paginator(table, 50).get_page(request.GET.get("page")) if table is not None else None
    if page is not None:
        for c in page.object_list:
            c.thread_link = f"{thread_url(c.round_id, c.anchor)}#c{c.pk}"
    queue = list(selectors.moderation_queue(request.user)[:50])
    for c in queue:
        c.thread_link = f"{thread_url(c.round_id, c.anchor)}#c{c.pk}"
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "consultations/dashboard.html", {
        "rounds": rounds, "selected": selected, "filters": filters, "page": page, "queue": queue, "query": query,
        "stance_choices": Stance.choices, "disposition_choices": DISPOSITION_CHOICES,
        "filter_dispositions": [("pending", "Pending")] + [(v, label) for v, label in Disposition.choices if v],
        "groups": StakeholderGroup.objects.order_by("name"),
        "back": request.get_full_path(),
    })


def _back(request) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith(reverse("consultations:dashboard")) else reverse("consultations:dashboard")


@require_POST
def bulk_dispositions(request):
    if not is_facilitator(request.user):
        return _forbidden(request, "Only facilitators answer comments.")
    try:
        round = selectors.round_get(request.user, request.POST.get("round"))
        count = comment_services.comments_dispose_bulk(
            actor=request.user, round=round, comment_ids=request.POST.getlist("comment_ids"),
            disposition=request.POST.get("disposition", ""), response=request.POST.get("response", ""),
            duplicate_of=request.POST.get("duplicate_of") or None,
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "Choose a round."))
    else:
        messages.success(request, f"{count} comment{'s' if count != 1 else ''} answered.")
    return redirect(_back(request))


@require_POST
def import_comments(request):
    if not is_facilitator(request.user):
        return _forbidden(request, "Only facilitators import comments.")
    upload = request.FILES.get("file")
    try:
        round = selectors.round_get(request.user, request.POST.get("round"))
        if upload is None:
            raise DomainError("Choose a CSV or JSON Lines file to import.")
        result = comment_io.comments_import(actor=request.user, round=round, data=upload.read(), filename=upload.name)
    except (NotFound, ValueError):
        messages.error(request, "Choose a round to import into.")
    except DomainError as exc:
        messages.error(request, f"Nothing was imported. {exc.message}")
    else:
        messages.success(request, f"{result.created} comments imported into round {round.number}; "
                                  f"{result.unchanged} were already there.")
    return redirect(_back(request))
