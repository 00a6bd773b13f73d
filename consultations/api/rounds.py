"""Rounds API: list, create, read, update, open, close; bulk dispositions; import and export of
comments. Thin views: selectors read, services write, domain errors become HTTP in one handler."""
from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from definitions import selectors as definition_selectors
from workbench.api.permissions import IsFacilitator, IsFacilitatorOrReadOnly
from workbench.errors import NotFound, ValidationFailed
from workbench.models import StakeholderGroup

from ..models import RoundState
from ..selectors import rounds as selectors
from ..services import comment_io, comments as comment_services, rounds as services
from .serializers_rounds import (
    BulkDispositionResultSerializer,
    BulkDispositionSerializer,
    ErrorSerializer,
    ImportResultSerializer,
    ImportUploadSerializer,
    RoundSerializer,
    RoundWriteSerializer,
)

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


def _groups(slugs) -> list[StakeholderGroup]:
    slugs = list(dict.fromkeys(slugs or []))
    found = {g.slug: g for g in StakeholderGroup.objects.filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ValidationFailed(f"Unknown stakeholder group(s): {', '.join(unknown)}.", field="eligible_groups")
    return [found[s] for s in slugs]


class RoundListView(generics.ListAPIView):
    """Drafting rounds, newest first. Anonymous readers see public rounds only."""

    serializer_class = RoundSerializer
    permission_classes = [IsFacilitatorOrReadOnly]

    def get_queryset(self):
        params = self.request.query_params
        return selectors.round_list(self.request.user, definition=params.get("definition"), state=params.get("state"))

    @extend_schema(
        parameters=[
            OpenApiParameter("definition", OpenApiTypes.STR, description="Definition slug"),
            OpenApiParameter("state", OpenApiTypes.STR, enum=RoundState.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RoundWriteSerializer, responses={201: RoundSerializer, **ERRORS})
    def post(self, request):
        serializer = RoundWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            definition = definition_selectors.definition_get(request.user, data.pop("definition"))
        except NotFound as exc:
            raise ValidationFailed(exc.message, field="definition") from None
        try:
            version = definition_selectors.version_get(request.user, definition, data.pop("version"))
        except NotFound as exc:
            raise ValidationFailed(exc.message, field="version") from None
        data["eligible_groups"] = _groups(data.get("eligible_groups"))
        round = services.round_create(actor=request.user, definition=definition, version=version, **data)
        return Response(RoundSerializer(selectors.round_get(request.user, round.pk, counts=True)).data, status=status.HTTP_201_CREATED)


class RoundDetailView(APIView):
    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(responses={200: RoundSerializer, 404: ErrorSerializer})
    def get(self, request, pk):
        return Response(RoundSerializer(selectors.round_get(request.user, pk, counts=True)).data)

    @extend_schema(request=RoundWriteSerializer, responses={200: RoundSerializer, **ERRORS})
    def patch(self, request, pk):
        round = selectors.round_get(request.user, pk)
        serializer = RoundWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for fixed in ("definition", "version"):
            if fixed in data:
                raise ValidationFailed(f"A round's {fixed} cannot change; create another round.", field=fixed)
        if "eligible_groups" in data:
            data["eligible_groups"] = _groups(data["eligible_groups"])
        services.round_update(actor=request.user, round=round, **data)
        return Response(RoundSerializer(selectors.round_get(request.user, pk, counts=True)).data)


class RoundOpenView(APIView):
    """Open a scheduled round now (facilitators). 409 if another round of the definition is open."""

    permission_classes = [IsFacilitator]

    @extend_schema(request=None, responses={200: RoundSerializer, **ERRORS})
    def post(self, request, pk):
        services.round_open(actor=request.user, round=selectors.round_get(request.user, pk))
        return Response(RoundSerializer(selectors.round_get(request.user, pk, counts=True)).data)


class RoundCloseView(APIView):
    """Close an open round now (facilitators)."""

    permission_classes = [IsFacilitator]

    @extend_schema(request=None, responses={200: RoundSerializer, **ERRORS})
    def post(self, request, pk):
        services.round_close(actor=request.user, round=selectors.round_get(request.user, pk))
        return Response(RoundSerializer(selectors.round_get(request.user, pk, counts=True)).data)


class RoundBulkDispositionView(APIView):
    """Give many comments of the round the same disposition and response (facilitators)."""

    permission_classes = [IsFacilitator]

    @extend_schema(request=BulkDispositionSerializer, responses={200: BulkDispositionResultSerializer, **ERRORS})
    def post(self, request, pk):
        round = selectors.round_get(request.user, pk)
        serializer = BulkDispositionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        updated = comment_services.comments_dispose_bulk(
            actor=request.user, round=round, comment_ids=data["comment_ids"], disposition=data["disposition"],
            response=data.get("response", ""), duplicate_of=data.get("duplicate_of"),
        )
        return Response({"updated": updated, "disposition": data["disposition"]})


class RawUploadParser(BaseParser):
    """The request body as bytes, for CSV or JSON Lines sent without multipart."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"raw": stream.read() if stream is not None else b""}


class RoundCommentImportView(APIView):
    """Import comments from other channels (facilitators): a multipart ``file``, or the CSV / JSON
    Lines as the raw request body. A bad row: 400 naming its line, and nothing is stored."""

    permission_classes = [IsFacilitator]
    parser_classes = [MultiPartParser, FormParser, RawUploadParser]

    @extend_schema(
        request={
            "multipart/form-data": ImportUploadSerializer,
            "text/csv": OpenApiTypes.BINARY,
            "application/x-ndjson": OpenApiTypes.BINARY,
        },
        responses={200: ImportResultSerializer, **ERRORS},
    )
    def post(self, request, pk):
        round = selectors.round_get(request.user, pk)
        upload = request.FILES.get("file")
        if upload is not None:
            data, filename = upload.read(), upload.name or ""
        else:
            data, filename = request.data.get("raw", b"") if hasattr(request.data, "get") else b"", ""
            content_type = (request.content_type or "").split(";")[0].strip().lower()
            if content_type in ("application/x-ndjson", "application/jsonl", "application/json"):
                filename = "upload.jsonl"
            elif content_type == "text/csv":
                filename = "upload.csv"
        if not data:
            raise ValidationFailed("Send the file as multipart field 'file', or as the request body.", field="file")
        result = comment_io.comments_import(actor=request.user, round=round, data=data, filename=filename)
        return Response(result.as_dict())


class RoundExportCSVView(APIView):
    """Every visible comment as CSV (UTF-8 with a byte-order mark so spreadsheets read it right)."""

    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR), 404: ErrorSerializer})
    def get(self, request, pk):
        round = selectors.round_get(request.user, pk)
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in comment_io.export_csv_chunks(round)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{comment_io.export_filename(round, "csv")}"'
        return response


class RoundExportJSONView(APIView):
    """Every visible comment as one JSON array (importable as it is)."""

    permission_classes = [IsFacilitatorOrReadOnly]

    @extend_schema(responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT), 404: ErrorSerializer})
    def get(self, request, pk):
        round = selectors.round_get(request.user, pk)
        response = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in comment_io.export_json_chunks(round)),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{comment_io.export_filename(round, "json")}"'
        return response

