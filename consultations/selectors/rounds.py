"""Reads for rounds and comments, scoped to what the caller may see, in a number of queries that
does not grow with the number of comments: counts per clause and the stance mix come from one
aggregate query, threads are paginated, carried-forward comments come from one windowed query."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from definitions.models import Clause, DefinitionVersion, VersionStatus
from workbench.errors import NotFound, ValidationFailed
from workbench.models import Stakeholder
from workbench.roles import is_facilitator

from ..models import Comment, Disposition, DraftingRound, RoundState, Stance, Visibility

VISIBLE = Q(hidden=False, withdrawn_at__isnull=True)
THREAD_PAGE_SIZE = 20
REPLIES_SHOWN = 10  # per comment on a thread page; the rest behind a link
CARRIED_PER_CLAUSE = 3


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# -- rounds -----------------------------------------------------------------------------------

def round_queryset(user):
    """Rounds the user may see: members-only rounds are invisible to anonymous readers."""
    qs = DraftingRound.objects.select_related("definition", "version")
    if not _signed_in(user):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return qs


def with_counts(qs):
    """Annotate rounds with their visible comments and how many are still unanswered.

    Correlated subqueries rather than a join and GROUP BY over every comment: each count is an
    index scan of one round's comments, so a round of a million comments costs its own count and
    does not make every other round's row (or every request that merely needs the round) wait."""
    def count(extra: Q):
        rows = Comment.objects.filter(VISIBLE, extra, round_id=OuterRef("pk")).order_by().values("round_id")
        return Coalesce(Subquery(rows.annotate(n=Count("*")).values("n")[:1]), 0)

    return qs.annotate(comment_count=count(Q()), unanswered_count=count(Q(disposition="")))


def round_list(user, *, definition: str | None = None, state: str | None = None):
    qs = round_queryset(user).prefetch_related("eligible_groups")
    if definition:
        qs = qs.filter(definition__slug=definition)
    if state:
        if state not in RoundState.values:
            raise ValidationFailed(f"Unknown state {state!r}; use one of {', '.join(RoundState.values)}.", field="state")
        qs = qs.filter(state=state)
    return with_counts(qs).order_by("-opens_at", "-pk")


def round_get(user, pk, *, counts: bool = False) -> DraftingRound:
    """The round, if the user may see it. ``counts=True`` adds ``comment_count`` and
    ``unanswered_count`` (what the round's API representation shows); everything else that merely
    needs the round (casting a vote, listing comments) does without them."""
    qs = round_queryset(user).prefetch_related("eligible_groups")
    round = (with_counts(qs) if counts else qs).filter(pk=pk).first()
    if round is None:
        raise NotFound(f"No round {pk}.")
    return round


def rounds_for_definition(user, definition):
    return round_queryset(user).filter(definition=definition).order_by("-number")


def members_only_round_exists(pk) -> bool:
    """For pages: an anonymous reader asking for a members-only round is sent to log in."""
    return DraftingRound.objects.filter(pk=pk, visibility=Visibility.MEMBERS).exists()


# -- counts -------------------------------------------------------------------------------------

@dataclass
class Counts:
    total: int = 0
    unanswered: int = 0
    stances: dict = field(default_factory=dict)

    @property
    def mix(self) -> list[tuple[str, str, int, float]]:
        """(stance, label, count, percent) for each stance present, in a fixed order."""
        if not self.total:
            return []
        return [
            (value, label, self.stances.get(value, 0), round(100 * self.stances.get(value, 0) / self.total, 1))
            for value, label in Stance.choices
            if self.stances.get(value, 0)
        ]


def _stance_aggregates() -> dict:
    aggregates = {"total": Count("id"), "unanswered": Count("id", filter=Q(disposition=""))}
    for value in Stance.values:
        aggregates[f"s_{value}"] = Count("id", filter=Q(stance=value))
    return aggregates


def _counts_from(row: dict) -> Counts:
    return Counts(
        total=row["total"], unanswered=row["unanswered"],
        stances={value: row[f"s_{value}"] for value in Stance.values if row[f"s_{value}"]},
    )


def clause_counts(round: DraftingRound, *, anchor: str | None = None) -> dict[str, Counts]:
    """anchor ('' for the whole version) -> visible comments, unanswered ones, stance mix: ONE query
    (for one clause only when ``anchor`` is given)."""
    comments = Comment.objects.filter(VISIBLE, round=round)
    if anchor is not None:
        comments = comments.filter(anchor=anchor)
    rows = (
        comments
        .order_by()
        .values("anchor")
        .annotate(**_stance_aggregates())
    )
    return {row["anchor"]: _counts_from(row) for row in rows}


def round_totals(counts: dict[str, Counts]) -> Counts:
    total = Counts()
    for c in counts.values():
        total.total += c.total
        total.unanswered += c.unanswered
        for stance, n in c.stances.items():
            total.stances[stance] = total.stances.get(stance, 0) + n
    return total


# -- comments -----------------------------------------------------------------------------------

def comment_queryset():
    return Comment.objects.select_related("author__group", "round__definition", "round__version", "disposition_by")


def _readable(user, qs):
    """Facilitators see everything; others see visible comments, plus their own hidden or withdrawn ones."""
    if is_facilitator(user):
        return qs
    if _signed_in(user):
        return qs.filter(VISIBLE | Q(author__user=user))
    return qs.filter(VISIBLE)


def comment_list(user, round: DraftingRound, *, anchor: str | None = None, stance: str | None = None,
                 disposition: str | None = None, author: str | None = None):
    qs = _readable(user, comment_queryset().filter(round=round))
    if anchor is not None:
        qs = qs.filter(anchor=anchor)
    if stance:
        if stance not in Stance.values:
            raise ValidationFailed(f"Unknown stance {stance!r}; use one of {', '.join(Stance.values)}.", field="stance")
        qs = qs.filter(stance=stance)
    if disposition:
        value = "" if disposition == "pending" else disposition
        if value not in Disposition.values:
            raise ValidationFailed(f"Unknown disposition {disposition!r}.", field="disposition")
        qs = qs.filter(disposition=value)
    if author:
        if author == "me":
            if not _signed_in(user):
                raise ValidationFailed("Sign in to list your own comments (author=me).", field="author")
            qs = qs.filter(author__user=user)
        else:
            try:
                qs = qs.filter(author_id=int(author))
            except ValueError:
                raise ValidationFailed("author is a stakeholder id, or 'me'.", field="author") from None
    return qs.order_by("created_at", "pk")


def comment_get(user, pk) -> Comment:
    comment = comment_queryset().prefetch_related("revisions").filter(pk=pk).first()
    if comment is None:
        raise NotFound(f"No comment {pk}.")
    if comment.round.visibility == Visibility.MEMBERS and not _signed_in(user):
        raise NotFound(f"No comment {pk}.")
    return comment


def body_visible_to(user, comment: Comment) -> bool:
    """Whether the text of a comment may be shown: hidden and withdrawn ones only to facilitators
    and their author."""
    if comment.is_visible or is_facilitator(user):
        return True
    return _signed_in(user) and comment.author.user_id == user.pk


@dataclass
class Thread:
    page: object
    comments: list  # top-level comments of the page, each with .thread_replies


def thread(user, round: DraftingRound, anchor: str, *, page_number=None, per_page: int = THREAD_PAGE_SIZE,
           expand: int | None = None) -> Thread:
    """One clause's (or the whole version's) comments, top-level ones paginated, replies attached.
    Hidden and withdrawn comments stay in place as placeholders when visible replies hang from them.
    Each comment shows its first ``REPLIES_SHOWN`` replies (``more_replies`` says how many are left
    out) unless it is the one in ``expand``, which shows them all: a comment with a thousand replies
    does not make its page a thousand comments long.
    Queries: a count, the page, per reply level one count and one ranked read, and the revisions --
    never one per comment."""
    base = comment_queryset().filter(round=round, anchor=anchor).prefetch_related("revisions")
    top = base.filter(depth=0)
    if not is_facilitator(user):
        has_visible_reply = Exists(Comment.objects.filter(VISIBLE, parent=OuterRef("pk")))
        own = Q(author__user=user) if _signed_in(user) else Q(pk__in=[])
        top = top.filter(VISIBLE | own | Q(has_visible_reply))
    paginator = Paginator(top.order_by("created_at", "pk"), per_page)
    page = paginator.get_page(paginator.num_pages if page_number == "last" else page_number)
    comments = list(page.object_list)
    level = comments
    for _depth in (1, 2):
        ids = [c.pk for c in level]
        replies = _first_replies(base, ids, expand) if ids else []
        totals = dict(
            Comment.objects.filter(parent_id__in=ids).order_by().values("parent_id").annotate(n=Count("pk"))
            .values_list("parent_id", "n")
        ) if ids else {}
        by_parent: dict[int, list] = {}
        for reply in replies:
            by_parent.setdefault(reply.parent_id, []).append(reply)
        for c in level:
            c.thread_replies = by_parent.get(c.pk, [])
            c.more_replies = max(0, totals.get(c.pk, 0) - len(c.thread_replies))
        level = replies
    for c in level:
        c.thread_replies = []
        c.more_replies = 0
    return Thread(page=page, comments=comments)


def _first_replies(base, parent_ids: list[int], expand: int | None) -> list:
    """The replies to ``parent_ids`` in reading order: the first ``REPLIES_SHOWN`` of each parent,
    all of them for the parent ``expand``."""
    ranked = base.filter(parent_id__in=parent_ids).annotate(
        reply_rank=Window(RowNumber(), partition_by=[F("parent_id")], order_by=[F("created_at"), F("pk")])
    )
    replies = list(ranked.filter(reply_rank__lte=REPLIES_SHOWN))
    if expand in parent_ids:
        replies = [r for r in replies if r.parent_id != expand] + list(base.filter(parent_id=expand))
    replies.sort(key=lambda reply: (reply.created_at, reply.pk))
    return replies


def moderation_queue(user):
    """Comments with reports awaiting a facilitator's review (hidden automatically or not yet)."""
    return comment_queryset().filter(report_count__gt=0).order_by("-report_count", "created_at")


def disposition_table(user, *, round: DraftingRound | None = None, anchor: str | None = None,
                      stance: str | None = None, disposition: str | None = None, group: str | None = None):
    qs = comment_queryset().filter(VISIBLE)
    if round is not None:
        qs = qs.filter(round=round)
    if anchor is not None:
        qs = qs.filter(anchor=anchor)
    if stance:
        qs = qs.filter(stance=stance)
    if disposition:
        qs = qs.filter(disposition="" if disposition == "pending" else disposition)
    if group:
        qs = qs.filter(author__group__slug=group)
    return qs.order_by("round_id", "anchor", "created_at", "pk")


def my_comments(user):
    return comment_queryset().filter(author__user=user).order_by("-created_at", "-pk")


def stakeholder_of(user) -> Stakeholder | None:
    if not _signed_in(user):
        return None
    return Stakeholder.objects.select_related("group").filter(user=user).first()


# -- carry-forward ------------------------------------------------------------------------------

@dataclass
class Carried:
    comments: list = field(default_factory=list)
    rounds: list = field(default_factory=list)  # (round, count) for each earlier round with comments here
    total: int = 0


def _visible_version_ids(user, definition_id) -> list[tuple[int, int, str]]:
    qs = DefinitionVersion.objects.filter(definition_id=definition_id)
    if not is_facilitator(user):
        qs = qs.exclude(status=VersionStatus.DRAFT)
    return list(qs.order_by("sequence").values_list("pk", "sequence", "label"))


def carried_forward(user, version: DefinitionVersion, anchors: list[str]) -> dict[str, Carried]:
    """Comments from earlier rounds (rounds on earlier versions of the definition) on the anchors
    of this version, with their dispositions; each marked with the label of the first later
    version in which its clause changed, if it did. Four queries whatever the numbers."""
    rounds = list(
        round_queryset(user).filter(definition_id=version.definition_id, version__sequence__lt=version.sequence)
        .exclude(state=RoundState.SCHEDULED)
    )
    if not rounds or not anchors:
        return {}
    by_id = {r.pk: r for r in rounds}
    anchor_set = set(anchors)
    base = Comment.objects.filter(VISIBLE, round_id__in=list(by_id), depth=0, anchor__in=anchor_set)
    counts = base.order_by().values("anchor", "round_id").annotate(n=Count("id"))
    result: dict[str, Carried] = {}
    for row in counts:
        carried = result.setdefault(row["anchor"], Carried())
        carried.rounds.append((by_id[row["round_id"]], row["n"]))
        carried.total += row["n"]
    if not result:
        return {}
    for carried in result.values():
        carried.rounds.sort(key=lambda pair: -pair[0].number)
    ranked = (
        base.select_related("author__group")
        .annotate(rank=Window(RowNumber(), partition_by=[F("anchor")], order_by=[F("round__number").desc(), F("created_at"), F("pk")]))
        .filter(rank__lte=CARRIED_PER_CLAUSE)
        .order_by("anchor", "rank")
    )
    versions = _visible_version_ids(user, version.definition_id)
    in_range = [(pk, seq, label) for pk, seq, label in versions if seq <= version.sequence]
    hashes: dict[tuple[str, int], str] = {
        (anchor, vid): h
        for anchor, vid, h in Clause.objects.filter(version_id__in=[v[0] for v in in_range], anchor__in=list(result))
        .values_list("anchor", "version_id", "hash")
    }
    for comment in ranked:
        comment.round = by_id[comment.round_id]
        comment.revised_in = _revised_in(comment.anchor, comment.round.version, in_range, hashes)
        result[comment.anchor].comments.append(comment)
    return result


def _revised_in(anchor: str, origin: DefinitionVersion, versions, hashes) -> str | None:
    before = hashes.get((anchor, origin.pk))
    for pk, seq, label in versions:
        if seq <= origin.sequence:
            continue
        if hashes.get((anchor, pk)) != before:
            return label
    return None


def version_page_context(user, version: DefinitionVersion, clauses) -> dict:
    """Extra context for the definitions version page: the rounds on this version (a banner), and
    beside each clause the comments of earlier rounds carried forward and this version's counts."""
    clauses = list(clauses)
    version_rounds = list(
        round_queryset(user).filter(version=version).order_by("-number")
    )
    current = next((r for r in version_rounds if r.state == RoundState.OPEN), None) or (
        version_rounds[0] if version_rounds else None
    )
    counts = clause_counts(current) if current is not None else {}
    carried = carried_forward(user, version, [c.anchor for c in clauses])
    for c in clauses:
        c.wb_round_counts = counts.get(c.anchor)
        c.wb_carried = carried.get(c.anchor)
    context = {"version_rounds": version_rounds, "current_round": current}
    if version_rounds:
        context["round_banner"] = "consultations/_version_round_banner.html"
    if carried or counts:
        context["clause_tools_template"] = "consultations/_version_clause_tools.html"
    return context
