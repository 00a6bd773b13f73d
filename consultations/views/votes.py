"""Vote pages: the endpoint the vote buttons post to (a form post redirects back to the clause on
the round page; a fetch asking for JSON gets the vote and the target's refreshed box), a small vote
form (the no-JavaScript way to give a block its rationale), and the results page."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from definitions.models import Clause
from workbench.errors import DomainError, NotFound

from ..models import WHOLE_VERSION, Position
from ..selectors import rounds as round_selectors
from ..selectors import votes as selectors
from ..services import votes as services


def _round(request, pk):
    try:
        return round_selectors.round_get(request.user, pk), None
    except NotFound as exc:
        if not request.user.is_authenticated and round_selectors.members_only_round_exists(pk):
            return None, redirect_to_login(request.get_full_path())
        raise Http404(exc.message) from None


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def target_url(round_id: int, anchor: str) -> str:
    """The round page at the target's vote box."""
    return f"{reverse('consultations:round', args=[round_id])}#{'votes-' + anchor if anchor else 'votes-whole'}"


def _back(request, round_id: int, anchor: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return target_url(round_id, anchor)


def _clause(round, anchor: str):
    if not anchor:
        return None
    clause = Clause.objects.filter(version_id=round.version_id, anchor=anchor).first()
    if clause is None:
        raise Http404(f"Version {round.version.label} has no clause {anchor!r}.")
    return clause


@require_http_methods(["GET", "POST"])
def vote(request, pk):
    round, login = _round(request, pk)
    if login:
        return login
    source = request.POST if request.method == "POST" else request.GET
    anchor = (source.get("anchor") or WHOLE_VERSION).strip()
    position = (source.get("position") or "").strip()
    if request.method == "GET":
        return _vote_form(request, round, anchor, position)
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse({"detail": "Sign in to vote.", "code": "not_authenticated"}, status=401)
        return redirect_to_login(target_url(round.pk, anchor))
    rationale = request.POST.get("rationale", "")
    try:
        result = services.vote_cast(actor=request.user, round=round, anchor=anchor, position=position, rationale=rationale)
    except DomainError as exc:
        if _wants_json(request):
            body = {"detail": exc.message, "code": exc.code}
            if exc.field:
                body["errors"] = {exc.field: [exc.message]}
            return JsonResponse(body, status=exc.status_code)
        if exc.field == "rationale" and position == Position.BLOCK:
            # No JavaScript, so no dialog: ask for the rationale on a page of its own.
            return _vote_form(request, round, anchor, position, error=exc.message, status=400)
        messages.error(request, exc.message)
        return redirect(_back(request, round.pk, anchor))
    vote = result.vote
    label = Position(vote.position).label.lower()
    where = f"clause {anchor}" if anchor else "the whole version"
    message = (f"You now {label} {where}." if vote.position != Position.ABSTAIN else f"You abstain on {where}.")
    if not result.changed:
        message = f"Your vote on {where} is unchanged."
    if _wants_json(request):
        context = selectors.target_vote_context(request.user, round, anchor)
        html = render_to_string("consultations/votes/_target_votes.html", context, request=request)
        return JsonResponse({
            "vote": {"id": vote.pk, "anchor": vote.anchor or None, "position": vote.position, "rationale": vote.rationale},
            "created": result.created, "changed": result.changed, "message": message,
            "target": context["target"].dom_id, "html": html,
        }, status=201 if result.created else 200)
    messages.success(request, message)
    return redirect(_back(request, round.pk, anchor))


def _vote_form(request, round, anchor: str, position: str, *, error: str = "", status: int = 200):
    clause = _clause(round, anchor)
    context = selectors.target_vote_context(request.user, round, anchor)
    context.update({
        "definition": round.definition, "version": round.version, "clause": clause, "anchor": anchor,
        "position": position if position in Position.values else "", "error": error,
        "rationale": request.POST.get("rationale", "") if request.method == "POST" else "",
        "back": target_url(round.pk, anchor),
    })
    return render(request, "consultations/votes/vote_form.html", context, status=status)


def results(request, pk):
    round, login = _round(request, pk)
    if login:
        return login
    context = selectors.round_results(round)
    context.update({"round": round, "definition": round.definition, "version": round.version,
                    "can_see_who_voted": selectors.can_see_who_voted(request.user, round)})
    return render(request, "consultations/votes/results.html", context)
