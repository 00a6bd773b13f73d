"""Serializers for definitions, versions and clauses."""
from rest_framework import serializers

from definitions.models import Clause, Definition, DefinitionVersion


class DefinitionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Definition
        fields = ["slug", "title", "summary", "licence", "created_at", "url"]
        read_only_fields = ["created_at", "url"]
        extra_kwargs = {"slug": {"validators": []}}  # uniqueness is the service's to check (409, not 400)

    def get_url(self, obj) -> str:
        return f"/definitions/{obj.slug}/"


class DefinitionCreateSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=80, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    licence = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class VersionSummarySerializer(serializers.ModelSerializer):
    previous = serializers.SlugRelatedField(slug_field="label", read_only=True)

    class Meta:
        model = DefinitionVersion
        fields = [
            "label", "sequence", "status", "content_hash", "change_note", "clause_count", "previous",
            "created_at", "published_at", "finalized_at",
        ]


class ClauseSerializer(serializers.ModelSerializer):
    markdown = serializers.CharField(source="source_markdown")
    parent = serializers.SerializerMethodField()

    class Meta:
        model = Clause
        fields = ["anchor", "kind", "ordinal", "parent", "depth", "heading_path", "markdown", "html", "relation"]

    def get_parent(self, obj) -> str | None:
        parents = self.context.get("anchors_by_id")
        if obj.parent_id is None:
            return None
        return parents[obj.parent_id] if parents is not None else obj.parent.anchor


class VersionDetailSerializer(VersionSummarySerializer):
    clauses = serializers.SerializerMethodField()

    class Meta(VersionSummarySerializer.Meta):
        fields = VersionSummarySerializer.Meta.fields + ["clauses"]

    def get_clauses(self, obj) -> list[dict]:
        clauses = list(obj.clauses.order_by("ordinal"))
        context = {**self.context, "anchors_by_id": {c.id: c.anchor for c in clauses}}
        return ClauseSerializer(clauses, many=True, context=context).data


class VersionCreateSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=40)
    markdown = serializers.CharField(allow_blank=True, trim_whitespace=False)
    change_note = serializers.CharField(required=False, allow_blank=True, default="")


class AuditEventSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    verb = serializers.CharField()
    target_type = serializers.CharField()
    target = serializers.CharField(source="target_label")
    data = serializers.JSONField()
