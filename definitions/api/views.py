"""Definitions API: thin views over selectors (reads) and services (writes)."""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from definitions import diffing, exporting, selectors, services
from workbench import audit
from workbench.api.permissions import IsFacilitatorOrReadOnly
from workbench.errors import ValidationFailed

from .serializers import (
    AuditEventSerializer,
    DefinitionCreateSerializer,
    DefinitionSerializer,
    VersionCreateSerializer,
    VersionDetailSerializer,
    VersionSummarySerializer,
)


class DefinitionListView(generics.ListAPIView):
    """Definitions with at least one published version (facilitators also see drafts-only ones)."""

    serializer_class = DefinitionSerializer
    permission_classes = [IsFacilitatorOrReadOnly]

    def get_queryset(self):
        return selectors.definition_list_for(self.request.user)

    @extend_schema(request=DefinitionCreateSerializer, responses={201: DefinitionSerializer})
    def post(self, request):
        serializer = DefinitionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        definition = services.definition_create(actor=request.user, **serializer.validated_data)
        return Response(DefinitionSerializer(definition).data, status=status.HTTP_201_CREATED)


class DefinitionDetailView(APIView):
    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(responses={200: DefinitionSerializer})
    def get(self, request, slug):
        definition = selectors.definition_get(request.user, slug)
        return Response(DefinitionSerializer(definition).data)


class VersionListView(generics.ListAPIView):
    serializer_class = VersionSummarySerializer
    permission_classes = [IsFacilitatorOrReadOnly]

    def get_queryset(self):
        definition = selectors.definition_get(self.request.user, self.kwargs["slug"])
        return selectors.versions_of(self.request.user, definition).select_related("previous")

    @extend_schema(request=VersionCreateSerializer, responses={201: VersionDetailSerializer})
    def post(self, request, slug):
        definition = selectors.definition_get(request.user, slug)
        serializer = VersionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.version_import(actor=request.user, definition=definition, **serializer.validated_data)
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionDetailView(APIView):
    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(responses={200: VersionDetailSerializer})
    def get(self, request, slug, label):
        version = selectors.version_get(request.user, selectors.definition_get(request.user, slug), label)
        return Response(VersionDetailSerializer(version).data)


class VersionPublishView(APIView):
    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(request=None, responses={200: VersionSummarySerializer})
    def post(self, request, slug, label):
        version = selectors.version_get(request.user, selectors.definition_get(request.user, slug), label)
        version = services.version_publish(actor=request.user, version=version)
        return Response(VersionSummarySerializer(version).data)


class VersionFinalizeView(APIView):
    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(request=None, responses={200: VersionSummarySerializer})
    def post(self, request, slug, label):
        version = selectors.version_get(request.user, selectors.definition_get(request.user, slug), label)
        version = services.version_finalize(actor=request.user, version=version)
        return Response(VersionSummarySerializer(version).data)


def _flag(request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValidationFailed(f"{name} must be 1 or 0, not {raw!r}.", field=name)


class VersionExportView(APIView):
    """The version as clean Markdown (text/markdown, UTF-8), with YAML front matter unless front_matter=0."""

    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(
        parameters=[OpenApiParameter("front_matter", OpenApiTypes.BOOL, description="0 for the body alone")],
        responses={(200, "text/markdown"): OpenApiTypes.STR},
    )
    def get(self, request, slug, label):
        version = selectors.version_get(request.user, selectors.definition_get(request.user, slug), label)
        text = exporting.export_markdown(version, with_front_matter=_flag(request, "front_matter", True))
        response = HttpResponse(text.encode("utf-8"), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exporting.export_filename(version)}"'
        return response


class DiffView(APIView):
    """Redline between two versions: JSON, Markdown (CriticMarkup) or HTML."""

    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.STR, required=True),
            OpenApiParameter("to", OpenApiTypes.STR, required=True),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "markdown", "html"]),
            OpenApiParameter("only_changes", OpenApiTypes.BOOL),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, slug):
        definition = selectors.definition_get(request.user, slug)
        from_label = request.query_params.get("from")
        to_label = request.query_params.get("to")
        if not from_label or not to_label:
            raise ValidationFailed("Give both ?from=<label> and ?to=<label>.", field="from" if not from_label else "to")
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "markdown", "html"):
            raise ValidationFailed("format must be json, markdown or html.", field="format")
        old = selectors.version_get(request.user, definition, from_label)
        new = selectors.version_get(request.user, definition, to_label)
        only_changes = _flag(request, "only_changes", False)
        if fmt == "json":
            return Response(diffing.diff_dict(old, new))
        body = diffing.diff_rendered(old, new, fmt=fmt, only_changes=only_changes)
        content_type = "text/markdown; charset=utf-8" if fmt == "markdown" else "text/html; charset=utf-8"
        return HttpResponse(body.encode("utf-8"), content_type=content_type)


class HistoryView(generics.ListAPIView):
    """The definition's audit trail: who changed what, when."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsFacilitatorOrReadOnly]

    def get_queryset(self):
        definition = selectors.definition_get(self.request.user, self.kwargs["slug"])
        return audit.events_for_scope(definition.audit_scope)
