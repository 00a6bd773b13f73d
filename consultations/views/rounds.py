"""Round pages: the round (the version with comment counts and stance mix beside each clause), a
clause's thread (paginated, with inline comment, reply, edit, withdraw, report and facilitator
controls), creating and editing rounds, and "my activity". Views are thin: selectors read,
services write, and a domain error becomes a message on the page."""
from __future__ import annotations


from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from definitions.engine.html import render_comment_html
from definitions.models import Clause, DefinitionVersion, VersionStatus
from definitions.selectors import clauses_of
from workbench.errors import DomainError, NotFound
from workbench.models import StakeholderGroup
from workbench.roles import is_facilitator

from ..models import Comment, Disposition, ReportReason, RoundState, Stance, Visibility
from ..selectors import rounds as selectors
from ..services import comments as comment_services
from ..services import rounds as round_services

STANCE_CHOICES = Stance.choices
DISPOSITION_CHOICES = [(v, label) for v, label in Disposition.choices if v] + [("pending", "Pending (undo)")]


# -- helpers ------------------------------------------------------------------------------------

def _round_or_404(request, pk):
    try:
        return selectors.round_get(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _round_or_login(request, pk):
    """The round, or a redirect to log in for an anonymous reader of a members-only round."""
    try:
        return selectors.round_get(request.user, pk), None
    except NotFound as exc:
        if not request.user.is_authenticated and selectors.members_only_round_exists(pk):
            return None, redirect_to_login(request.get_full_path())
        raise Http404(exc.message) from None


def _forbidden(request, message):
    return render(request, "workbench/error.html", {"title": "Not allowed", "message": message}, status=403)


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def thread_url(round_id: int, anchor: str) -> str:
    if anchor:
        return reverse("consultations:thread", args=[round_id, anchor])
    return reverse("consultations:thread-whole", args=[round_id])


def redline_html(clause_markdown: str, suggestion: str) -> str:
    """A suggestion as a redline against its clause (deletions struck, insertions underlined,
    every piece of text escaped), from the same engine as the version diffs."""
    from definitions.engine.diff import diff_suggestion
    from definitions.engine.redline import words_to_html

    return words_to_html(diff_suggestion(clause_markdown, suggestion).words)


def _decorate(request, comments, *, round, clause_markdown: str, stakeholder, can_take_part: bool):
    """Attach to each comment (and its replies) what the page shows: its safe HTML, the redline of
    its suggestion, and which controls this reader gets. No queries."""
    facilitator = is_facilitator(request.user)
    signed_in = request.user.is_authenticated
    is_open = round.state == RoundState.OPEN
    stack = list(comments)
    while stack:
        c = stack.pop()
        mine = stakeholder is not None and c.author_id == stakeholder.pk
        c.show_body = c.is_visible or facilitator or mine
        c.body_html = mark_safe(render_comment_html(c.body)) if c.show_body else ""
        c.response_html = mark_safe(render_comment_html(c.response)) if c.response else ""
        c.redline = mark_safe(redline_html(clause_markdown, c.suggestion)) if c.suggestion and c.show_body else ""
        c.is_mine = mine
        c.can_edit = mine and is_open and c.withdrawn_at is None
        c.can_reply = can_take_part and c.depth < comment_services.MAX_DEPTH and c.is_visible
        c.can_report = signed_in and not mine and c.withdrawn_at is None
        c.can_moderate = facilitator
        stack.extend(getattr(c, "thread_replies", []))


# -- the round page -------------------------------------------------------------------------------

def round_detail(request, pk):
    round, login = _round_or_login(request, pk)
    if login:
        return login
    clauses = list(clauses_of(round.version))
    counts = selectors.clause_counts(round)
    totals = selectors.round_totals(counts)
    carried = selectors.carried_forward(request.user, round.version, [c.anchor for c in clauses])
    for c in clauses:
        c.wb_counts = counts.get(c.anchor)
        c.wb_carried = carried.get(c.anchor)
    stakeholder = selectors.stakeholder_of(request.user)
    eligible = list(round.eligible_groups.all())
    problem = comment_services.round_state_problem(round) or comment_services.eligibility_problem(
        stakeholder, round, eligible_ids={g.pk for g in eligible}
    )
    context = {
        "round": round, "definition": round.definition, "version": round.version, "clauses": clauses,
        "totals": totals, "whole": counts.get(""), "eligible_groups": eligible, "stakeholder": stakeholder,
        "can_comment": problem is None, "comment_problem": problem, "stance_choices": STANCE_CHOICES,
    }
    from ..selectors.jobs import round_job_context
    from ..selectors.votes import round_vote_context

    context.update(round_vote_context(request.user, round, clauses) or {})
    context.update(round_job_context(request.user, round) or {})
    return render(request, "consultations/round.html", context)


# -- threads ------------------------------------------------------------------------------------

class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=False, required=False,
                           help_text="Markdown. Links and emphasis work; HTML does not.")
    stance = forms.ChoiceField(choices=STANCE_CHOICES, initial=Stance.NEUTRAL)
    suggestion = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), strip=False, required=False,
                                 label="Suggested new text (optional)", help_text="Your rewording of the whole clause.")
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)


@require_http_methods(["GET", "POST"])
def thread(request, pk, anchor=""):
    round, login = _round_or_login(request, pk)
    if login:
        return login
    clause = None
    if anchor:
        clause = Clause.objects.filter(version_id=round.version_id, anchor=anchor).first()
        if clause is None:
            raise Http404(f"Version {round.version.label} has no clause {anchor!r}.")
    stakeholder = selectors.stakeholder_of(request.user)
    problem = comment_services.round_state_problem(round) or comment_services.eligibility_problem(stakeholder, round)
    form = CommentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            data = form.cleaned_data
            try:
                comment = comment_services.comment_create(
                    actor=request.user, round=round, anchor=anchor, body=data["body"], stance=data["stance"],
                    suggestion=data["suggestion"], parent=data.get("parent"),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 403 if exc.status_code == 403 else 400
            else:
                messages.success(request, "Your reply is posted." if comment.parent_id else "Your comment is posted.")
                return redirect(f"{thread_url(round.pk, anchor)}?page=last#c{comment.pk}"
                                if not comment.parent_id else f"{_next_url(request, thread_url(round.pk, anchor))}#c{comment.pk}")
        else:
            status = 400
    page_number = request.GET.get("page")
    expand = request.GET.get("replies")
    data = selectors.thread(request.user, round, anchor, page_number=page_number,
                            expand=int(expand) if expand and expand.isdigit() else None)
    _decorate(request, data.comments, round=round, clause_markdown=clause.source_markdown if clause else "",
              stakeholder=stakeholder, can_take_part=problem is None)
    counts = selectors.clause_counts(round, anchor=anchor).get(anchor)
    return render(request, "consultations/thread.html", {
        "round": round, "definition": round.definition, "version": round.version, "clause": clause,
        "anchor": anchor, "page": data.page, "comments": data.comments, "form": form, "counts": counts,
        "can_comment": problem is None, "comment_problem": problem, "stance_choices": STANCE_CHOICES,
        "report_reasons": ReportReason.choices, "disposition_choices": DISPOSITION_CHOICES,
        "thread_path": request.get_full_path(),
    }, status=status)


def _comment_or_404(request, pk) -> Comment:
    try:
        return selectors.comment_get(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _comment_action(request, pk, action, success: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    comment = _comment_or_404(request, pk)
    fallback = f"{thread_url(comment.round_id, comment.anchor)}#c{comment.pk}"
    try:
        action(comment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    target = _next_url(request, fallback)
    return redirect(target if "#" in target else f"{target}#c{comment.pk}")


@require_POST
def comment_edit(request, pk):
    return _comment_action(
        request, pk,
        lambda c: comment_services.comment_edit(actor=request.user, comment=c, body=request.POST.get("body"),
                                                stance=request.POST.get("stance"), suggestion=request.POST.get("suggestion")),
        "Your comment is updated; the earlier text is kept in its history.",
    )


@require_POST
def comment_withdraw(request, pk):
    return _comment_action(request, pk, lambda c: comment_services.comment_withdraw(actor=request.user, comment=c),
                           "Your comment is withdrawn.")


@require_POST
def comment_report(request, pk):
    return _comment_action(
        request, pk, lambda c: comment_services.comment_report(actor=request.user, comment=c, reason=request.POST.get("reason", "")),
        "Thank you; the facilitators will review the comment.",
    )


@require_POST
def comment_moderate(request, pk):
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    if action == "restore":
        return _comment_action(request, pk, lambda c: comment_services.comment_restore(actor=request.user, comment=c, reason=reason),
                               "The comment is restored.")
    return _comment_action(request, pk, lambda c: comment_services.comment_hide(actor=request.user, comment=c, reason=reason),
                           "The comment is hidden.")


@require_POST
def comment_disposition(request, pk):
    return _comment_action(
        request, pk,
        lambda c: comment_services.comment_dispose(
            actor=request.user, comment=c, disposition=request.POST.get("disposition", ""),
            response=request.POST.get("response", ""), duplicate_of=request.POST.get("duplicate_of") or None,
        ),
        "The disposition is saved.",
    )


# -- creating and editing rounds --------------------------------------------------------------------

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoundForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=DefinitionVersion.objects.none(), help_text="The published version to consult on."
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    opens_at = forms.DateTimeField(widget=DATETIME_WIDGET, help_text="UTC. The round opens by itself at this time.")
    closes_at = forms.DateTimeField(widget=DATETIME_WIDGET, help_text="UTC. The round closes by itself at this time.")
    eligible_groups = forms.ModelMultipleChoiceField(
        queryset=StakeholderGroup.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every stakeholder group may take part.",
    )
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PUBLIC)
    hide_after_reports = forms.IntegerField(min_value=1, max_value=1000, initial=3,
                                            help_text="A comment reported this many times is hidden pending review.")
    quorum = forms.IntegerField(min_value=1, initial=1, help_text="Minimum distinct voters per clause.")
    threshold = forms.CharField(max_length=20, initial="2/3", help_text="Support ÷ (support + oppose + block) needed: 2/3 or 0.6.")
    blocks_prevent_consensus = forms.BooleanField(required=False, initial=True)
    require_every_group = forms.BooleanField(required=False, help_text="Each group with voters must reach the threshold.")
    public_votes = forms.BooleanField(required=False, help_text="Show who voted how (otherwise counts only).")

    def __init__(self, *args, round=None, **kwargs):
        super().__init__(*args, **kwargs)
        if round is None:
            self.fields["version"].queryset = (
                DefinitionVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("definition")
                .order_by("definition__title", "-sequence")
            )
            self.fields["version"].label_from_instance = lambda v: f"{v.definition.title} {v.label}"
        else:
            del self.fields["version"]
            allowed = round_services.EDITABLE[RoundState(round.state)]
            for name, form_field in self.fields.items():
                if name not in allowed:
                    form_field.disabled = True


def _round_initial(round) -> dict:
    return {
        "title": round.title, "description": round.description, "opens_at": round.opens_at, "closes_at": round.closes_at,
        "eligible_groups": list(round.eligible_groups.all()), "visibility": round.visibility,
        "hide_after_reports": round.hide_after_reports, "quorum": round.quorum, "threshold": round.threshold,
        "blocks_prevent_consensus": round.blocks_prevent_consensus, "require_every_group": round.require_every_group,
        "public_votes": round.public_votes,
    }


@require_http_methods(["GET", "POST"])
def round_create(request):
    if not is_facilitator(request.user):
        return _forbidden(request, "Only facilitators can start drafting rounds.")
    initial = {}
    if request.GET.get("version"):
        initial["version"] = request.GET["version"]
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            round = round_services.round_create(actor=request.user, definition=version.definition, version=version, **data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Round {round.number} is scheduled. It opens {round.opens_at:%d %B %Y %H:%M} UTC.")
            return redirect("consultations:round", pk=round.pk)
    return render(request, "consultations/round_form.html", {"form": form, "round": None})


@require_http_methods(["GET", "POST"])
def round_edit(request, pk):
    round = _round_or_404(request, pk)
    if not is_facilitator(request.user):
        return _forbidden(request, "Only facilitators can change drafting rounds.")
    form = RoundForm(request.POST or None, round=round, initial=_round_initial(round))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if not form.fields[name].disabled}
        try:
            round_services.round_update(actor=request.user, round=round, **changes)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "The round is updated.")
            return redirect("consultations:round", pk=round.pk)
    return render(request, "consultations/round_form.html", {"form": form, "round": round})


@require_POST
def round_state(request, pk):
    round = _round_or_404(request, pk)
    action = request.POST.get("action")
    try:
        if action == "open":
            round_services.round_open(actor=request.user, round=round)
            messages.success(request, f"Round {round.number} is open.")
        elif action == "close":
            round_services.round_close(actor=request.user, round=round)
            messages.success(request, f"Round {round.number} is closed.")
        else:
            messages.error(request, "Choose to open or close the round.")
    except DomainError as exc:
        if exc.status_code == 403:
            return _forbidden(request, exc.message)
        messages.error(request, exc.message)
    return redirect(_next_url(request, reverse("consultations:round", args=[round.pk])))


# -- my activity --------------------------------------------------------------------------------

@login_required
def my_activity(request):
    page = Paginator(selectors.my_comments(request.user), 30).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.thread_link = f"{thread_url(c.round_id, c.anchor)}#c{c.pk}"
    notifications = []
    stakeholder = selectors.stakeholder_of(request.user)
    if stakeholder is not None:
        notifications = list(stakeholder.notifications.order_by("-created_at", "-pk")[:20])
    return render(request, "consultations/my_activity.html", {
        "page": page, "stakeholder": stakeholder, "notifications": notifications,
    })
