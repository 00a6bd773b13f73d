"""Drafting rounds and what happens in them: comments, reports of abuse, dispositions, votes,
notifications, and the consolidation jobs and reports made when a round closes.

A target (of a comment or a vote) is a clause anchor of the round's version, or the empty string
for the version as a whole: an empty string rather than NULL so that the one-vote-per-voter-and-target
constraint holds on every database (NULLs are distinct in unique constraints).
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from definitions.models import Definition, DefinitionVersion
from workbench.models import Stakeholder, StakeholderGroup

WHOLE_VERSION = ""


class RoundState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CONSOLIDATED = "consolidated", "Consolidated"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    MEMBERS = "members", "Signed-in members only"


class DraftingRound(models.Model):
    definition = models.ForeignKey(Definition, on_delete=models.PROTECT, related_name="rounds")
    version = models.ForeignKey(DefinitionVersion, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveIntegerField(help_text="Round number within the definition, from 1.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=RoundState.choices, default=RoundState.SCHEDULED)
    eligible_groups = models.ManyToManyField(
        StakeholderGroup, blank=True, related_name="rounds", help_text="None selected: every group may take part."
    )
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    hide_after_reports = models.PositiveSmallIntegerField(
        default=3, help_text="A comment reported this many times is hidden pending review."
    )
    # The round rule, stated before the round opens.
    quorum = models.PositiveIntegerField(default=1, help_text="Minimum distinct voters per target.")
    threshold = models.CharField(
        max_length=20, default="2/3", help_text="Support ÷ (support + oppose + block) needed, exactly: '2/3' or '0.6'."
    )
    blocks_prevent_consensus = models.BooleanField(default=True)
    require_every_group = models.BooleanField(default=False)
    public_votes = models.BooleanField(default=False, help_text="Show who voted how (otherwise counts only).")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["definition_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="round_number_unique_per_definition"),
            models.UniqueConstraint(fields=["definition"], condition=Q(state="open"), name="one_open_round_per_definition"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_it_opens"),
        ]

    def __str__(self) -> str:
        return f"{self.definition.slug} round {self.number}: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state == RoundState.OPEN


class Stance(models.TextChoices):
    SUPPORT = "support", "Support"
    OPPOSE = "oppose", "Oppose"
    CONCERN = "concern", "Concern"
    QUESTION = "question", "Question"
    NEUTRAL = "neutral", "Neutral"


class Disposition(models.TextChoices):
    PENDING = "", "Pending"
    ACCEPTED = "accepted", "Accepted"
    PARTIALLY_ACCEPTED = "partially-accepted", "Partially accepted"
    REJECTED = "rejected", "Rejected"
    DEFERRED = "deferred", "Deferred"
    DUPLICATE = "duplicate", "Duplicate"
    OUT_OF_SCOPE = "out-of-scope", "Out of scope"


class Comment(models.Model):
    round = models.ForeignKey(DraftingRound, on_delete=models.PROTECT, related_name="comments")
    anchor = models.CharField(max_length=120, blank=True, default=WHOLE_VERSION)
    author = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField()
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.NEUTRAL)
    suggestion = models.TextField(blank=True, help_text="A proposed new text for the clause.")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    depth = models.PositiveSmallIntegerField(default=0)
    external_id = models.CharField(max_length=200, null=True, blank=True, help_text="Id in the channel it was imported from.")
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Moderation: hidden comments drop out of counts and reports but are never deleted.
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=300, blank=True)
    report_count = models.PositiveIntegerField(default=0)
    # Disposition: how the facilitators handled the comment, with a public response.
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True, default=Disposition.PENDING)
    response = models.TextField(blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    disposition_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    disposition_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "external_id"], condition=Q(external_id__isnull=False), name="comment_external_id_unique_per_round"
            ),
            models.CheckConstraint(condition=Q(depth__lte=2), name="comment_threads_at_most_three_levels"),
        ]
        indexes = [
            models.Index(fields=["round", "anchor", "created_at"]),
            # The round's comments in their listing order (created_at, id): a page of a million
            # comments is read off the index instead of sorting them all.
            models.Index(fields=["round", "created_at", "id"], name="comment_round_listing"),
            models.Index(fields=["round", "disposition"]),
            models.Index(fields=["author", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.anchor or 'the whole version'}"

    @property
    def is_visible(self) -> bool:
        return not self.hidden and self.withdrawn_at is None


class CommentRevision(models.Model):
    """The text of a comment before an edit: edits keep their history."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    stance = models.CharField(max_length=10, choices=Stance.choices)
    suggestion = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["comment_id", "created_at", "id"]


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam"
    OFFENSIVE = "offensive", "Offensive"
    OFF_TOPIC = "off-topic", "Off-topic"


class CommentReport(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=ReportReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_user_and_comment")]


class Position(models.TextChoices):
    SUPPORT = "support", "Support"
    OPPOSE = "oppose", "Oppose"
    ABSTAIN = "abstain", "Abstain"
    BLOCK = "block", "Block"


class Vote(models.Model):
    """The current position of one voter on one target. Every change is also kept in VoteChange."""

    round = models.ForeignKey(DraftingRound, on_delete=models.PROTECT, related_name="votes")
    anchor = models.CharField(max_length=120, blank=True, default=WHOLE_VERSION)
    voter = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="votes")
    # The voter's group when they voted: tallies by group stay stable if a profile changes later.
    group = models.ForeignKey(StakeholderGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.CharField(max_length=8, choices=Position.choices)
    rationale = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round_id", "anchor", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "anchor", "voter"], name="one_current_vote_per_voter_and_target"),
        ]
        indexes = [models.Index(fields=["round", "anchor", "position"])]


class VoteChange(models.Model):
    """History of votes: one row per cast or changed position, never updated."""

    round = models.ForeignKey(DraftingRound, on_delete=models.PROTECT, related_name="vote_changes")
    anchor = models.CharField(max_length=120, blank=True, default=WHOLE_VERSION)
    voter = models.ForeignKey(Stakeholder, on_delete=models.PROTECT, related_name="vote_changes")
    group = models.ForeignKey(StakeholderGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.CharField(max_length=8, choices=Position.choices)
    rationale = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["round", "anchor", "voter", "id"])]


class Notification(models.Model):
    """One e-mail to one stakeholder about one event; the unique key makes sending idempotent."""

    recipient = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=120, help_text="What it is about, e.g. 'round:3' or 'comment:42'.")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "kind", "key"], name="notification_sent_once")]


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A background job (e.g. consolidating a round). This row, not Celery's result store, is the
    source of truth for its state and progress."""

    kind = models.CharField(max_length=40, default="consolidate")
    round = models.ForeignKey(DraftingRound, on_delete=models.CASCADE, related_name="jobs")
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    parts_done = models.PositiveIntegerField(default=0)
    parts_total = models.PositiveIntegerField(default=0)
    input_fingerprint = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds spent per phase.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.state})"


class JobPart(models.Model):
    """One unit of a job's fan-out (a clause, or the whole version). Claimed with a conditional
    UPDATE so two workers never do the same part."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="parts")
    key = models.CharField(max_length=120, help_text="Clause anchor, or '' for the whole version.")
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job_id", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="job_part_unique_key")]


class Report(models.Model):
    """What a consolidation produced: the same report as JSON, Markdown and HTML. No timestamps
    inside the artifacts (they live on the Job), so the same input gives the same bytes."""

    round = models.ForeignKey(DraftingRound, on_delete=models.CASCADE, related_name="reports")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="report")
    input_fingerprint = models.CharField(max_length=64)
    json = models.TextField()
    markdown = models.TextField()
    html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
