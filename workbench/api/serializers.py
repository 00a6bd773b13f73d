"""Serializers for people: groups, profiles, the caller."""
from rest_framework import serializers

from workbench.models import Stakeholder, StakeholderGroup


class StakeholderGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = StakeholderGroup
        fields = ["id", "name", "slug", "description"]
        read_only_fields = ["id"]
        # Uniqueness is the service's to check, so a clash is a 409 Conflict, not a 400.
        extra_kwargs = {"name": {"validators": []}, "slug": {"validators": [], "required": False}}


class ProfileSerializer(serializers.ModelSerializer):
    group = serializers.SlugRelatedField(
        slug_field="slug", queryset=StakeholderGroup.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Stakeholder
        fields = ["display_name", "affiliation", "group", "conflict_of_interest", "notify_by_email"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField(allow_null=True)
    authenticated = serializers.BooleanField()
    profile = ProfileSerializer(allow_null=True)
    group = StakeholderGroupSerializer(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
