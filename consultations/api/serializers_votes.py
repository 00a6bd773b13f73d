"""Serializers for votes and tallies. The whole version is ``anchor: null`` in JSON and '' inside."""
from __future__ import annotations

from rest_framework import serializers

from ..models import Position


class NullableAnchorField(serializers.CharField):
    """A clause anchor, or null for the whole version ('' stored)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class VoteWriteSerializer(serializers.Serializer):
    anchor = NullableAnchorField(help_text="A clause anchor of the round's version; null (or omitted) for the whole version.")
    # Checked by the service, so an unknown position gets the same message everywhere.
    position = serializers.CharField(help_text=f"One of {', '.join(Position.values)}.")
    rationale = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                      help_text="Why; required for a block (at least 20 characters).")


class VoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    anchor = NullableAnchorField()
    position = serializers.ChoiceField(choices=Position.choices)
    rationale = serializers.CharField()
    voter = serializers.CharField(source="voter.display_name")
    voter_id = serializers.IntegerField()
    group = serializers.CharField(source="group.slug", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class VoteChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    anchor = NullableAnchorField()
    position = serializers.ChoiceField(choices=Position.choices)
    rationale = serializers.CharField()
    voter = serializers.CharField(source="voter.display_name")
    voter_id = serializers.IntegerField()
    group = serializers.CharField(source="group.slug", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class PositionCountsSerializer(serializers.Serializer):
    support = serializers.IntegerField()
    oppose = serializers.IntegerField()
    abstain = serializers.IntegerField()
    block = serializers.IntegerField()


class GroupTallySerializer(serializers.Serializer):
    counts = PositionCountsSerializer()
    voters = serializers.IntegerField()
    support_ratio = serializers.FloatField(allow_null=True, help_text="support ÷ (support + oppose + block); null with no such votes.")


class TargetTallySerializer(serializers.Serializer):
    anchor = serializers.CharField(allow_null=True, help_text="Clause anchor; null for the whole version.")
    counts = PositionCountsSerializer()
    voters = serializers.IntegerField(help_text="Distinct voters on this target.")
    support_ratio = serializers.FloatField(allow_null=True)
    by_group = serializers.DictField(child=GroupTallySerializer(), help_text="By stakeholder group slug.")
    status = serializers.CharField(help_text="consensus, contested, blocked or no-quorum.")
    needed = serializers.CharField(help_text="One sentence: what the target still needs, or why it passed.")
    divisiveness = serializers.FloatField(help_text="How far the groups' support ratios spread (0 = agreement).")


class RuleSerializer(serializers.Serializer):
    quorum = serializers.IntegerField()
    threshold = serializers.CharField(help_text="Exactly as stated, e.g. '2/3' or '0.6'.")
    blocks_prevent_consensus = serializers.BooleanField()
    require_every_group = serializers.BooleanField()
    public_votes = serializers.BooleanField()


class RoundTallySerializer(serializers.Serializer):
    rule = RuleSerializer()
    targets = TargetTallySerializer(many=True)


class VoteImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or JSON Lines with voter, group, anchor, position, rationale.")


class VoteImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    stakeholders_created = serializers.IntegerField()
    format = serializers.CharField()
