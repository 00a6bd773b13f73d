"""Serializers for rounds and comments. Input serializers only shape and type the data; the rules
live in the services. Targets are JSON null for the whole version (stored as '')."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workbench.roles import is_facilitator

from ..models import Comment, Disposition, DraftingRound, ReportReason, Stance, Visibility
from ..selectors import rounds as selectors


class RoundSerializer(serializers.ModelSerializer):
    definition = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.SlugRelatedField(slug_field="label", read_only=True)
    eligible_groups = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    comment_count = serializers.SerializerMethodField()
    unanswered_count = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = DraftingRound
        fields = [
            "id", "definition", "version", "number", "title", "description", "opens_at", "closes_at", "state",
            "eligible_groups", "visibility", "hide_after_reports", "quorum", "threshold",
            "blocks_prevent_consensus", "require_every_group", "public_votes", "opened_at", "closed_at",
            "comment_count", "unanswered_count", "url",
        ]
        read_only_fields = fields

    def get_comment_count(self, obj) -> int | None:
        return getattr(obj, "comment_count", None)

    def get_unanswered_count(self, obj) -> int | None:
        return getattr(obj, "unanswered_count", None)

    def get_url(self, obj) -> str:
        return f"/rounds/{obj.pk}/"


class RoundWriteSerializer(serializers.Serializer):
    """Create (all of definition, version, title, opens_at, closes_at required) or update (any subset)."""

    definition = serializers.CharField(help_text="Definition slug (create only).")
    version = serializers.CharField(help_text="Version label, e.g. 0.2 (create only).")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    eligible_groups = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Stakeholder group slugs; empty = every group."
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    hide_after_reports = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    quorum = serializers.IntegerField(min_value=1, required=False)
    threshold = serializers.CharField(max_length=20, required=False, help_text="Exactly, e.g. '2/3' or '0.6'.")
    blocks_prevent_consensus = serializers.BooleanField(required=False)
    require_every_group = serializers.BooleanField(required=False)
    public_votes = serializers.BooleanField(required=False)


class AuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    group = serializers.CharField(allow_null=True)
    imported = serializers.BooleanField()


class RevisionSerializer(serializers.Serializer):
    body = serializers.CharField()
    stance = serializers.CharField()
    suggestion = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentSerializer(serializers.ModelSerializer):
    """A comment. For readers other than facilitators and the author, hidden and withdrawn comments
    (listed only when they are one's own) show no text."""

    anchor = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    suggestion = serializers.SerializerMethodField()
    withdrawn = serializers.SerializerMethodField()
    disposition = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id", "round", "anchor", "author", "body", "stance", "suggestion", "parent", "depth", "external_id",
            "created_at", "edited_at", "withdrawn", "withdrawn_at", "hidden", "hidden_reason", "report_count",
            "disposition", "response", "duplicate_of", "disposition_at", "url",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def _shows_text(self, obj) -> bool:
        return selectors.body_visible_to(self._user(), obj)

    def get_anchor(self, obj) -> str | None:
        return obj.anchor or None

    @extend_schema_field(AuthorSerializer)
    def get_author(self, obj) -> dict:
        a = obj.author
        return {"id": a.pk, "display_name": a.display_name, "group": a.group.slug if a.group_id else None,
                "imported": a.user_id is None}

    def get_body(self, obj) -> str | None:
        return obj.body if self._shows_text(obj) else None

    def get_suggestion(self, obj) -> str | None:
        return obj.suggestion if self._shows_text(obj) else None

    def get_withdrawn(self, obj) -> bool:
        return obj.withdrawn_at is not None

    def get_disposition(self, obj) -> str:
        return obj.disposition or "pending"

    def get_url(self, obj) -> str:
        return f"/api/comments/{obj.pk}/"

    def to_representation(self, obj):
        data = super().to_representation(obj)
        if not is_facilitator(self._user()):
            data.pop("report_count", None)
        return data


class CommentDetailSerializer(CommentSerializer):
    revisions = serializers.SerializerMethodField()

    class Meta(CommentSerializer.Meta):
        fields = CommentSerializer.Meta.fields + ["revisions"]
        read_only_fields = fields

    @extend_schema_field(RevisionSerializer(many=True))
    def get_revisions(self, obj) -> list:
        if not self._shows_text(obj):
            return []
        return RevisionSerializer(obj.revisions.all(), many=True).data


class CommentCreateSerializer(serializers.Serializer):
    # Types only: the services decide what is allowed, so limits and choices are checked there
    # (with the same messages for the API, the pages and the import).
    anchor = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False,
                                   help_text="Clause anchor; null (or omitted) for the whole version.")
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="Markdown.")
    stance = serializers.CharField(required=False, allow_blank=True, help_text=" | ".join(Stance.values))
    suggestion = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                       help_text="A proposed new text for the clause (Markdown).")
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="The comment this replies to.")


class CommentEditSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    stance = serializers.CharField(required=False, allow_blank=True)
    suggestion = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=" | ".join(ReportReason.values))


class ModerationSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Shown in place of a hidden comment; kept in the history.")


DISPOSITION_CHOICES = " | ".join([v for v in Disposition.values if v] + ["pending"])


class DispositionSerializer(serializers.Serializer):
    disposition = serializers.CharField(help_text=DISPOSITION_CHOICES)
    response = serializers.CharField(required=False, allow_blank=True, default="")
    duplicate_of = serializers.IntegerField(required=False, allow_null=True)


class BulkDispositionSerializer(DispositionSerializer):
    comment_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class BulkDispositionResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
    disposition = serializers.CharField()


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or JSON Lines (or a JSON array, as export.json gives).")


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    stakeholders_created = serializers.IntegerField()
    format = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(required=False)

