"""Votes API: cast or change a vote, list votes (your own; everyone's where the rule allows), the
live tally, the history of changes, and import of votes recorded elsewhere. Thin views: selectors
read, services write, domain errors become HTTP in one handler."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from workbench.api.permissions import IsFacilitator
from workbench.errors import ValidationFailed

from ..selectors import rounds as round_selectors
from ..selectors import votes as selectors
from ..services import votes as services
from .rounds import RawUploadParser
from .serializers_rounds import ErrorSerializer
from .serializers_votes import (
    RoundTallySerializer,
    VoteChangeSerializer,
    VoteImportResultSerializer,
    VoteImportUploadSerializer,
    VoteSerializer,
    VoteWriteSerializer,
)

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}
ANCHOR_PARAM = OpenApiParameter(
    "anchor", OpenApiTypes.STR, description="Only this target: a clause anchor, or 'null' for the whole version."
)


class _FileFormatSettings:
    """DRF's settings, except that ``?format=`` names the uploaded file's format, not a renderer."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name):
        return getattr(api_settings, name)


class FileFormatNegotiation(DefaultContentNegotiation):
    settings = _FileFormatSettings()


def _truthy(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


class RoundVotesView(generics.GenericAPIView):
    """GET: current votes (``mine=1``: yours; otherwise everyone's, for facilitators, or for everyone
    when the round's rule makes votes public). POST: create or replace your vote on one target."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = VoteSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        parameters=[OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only your own votes."), ANCHOR_PARAM],
        responses={200: VoteSerializer(many=True), 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request, pk):
        round = round_selectors.round_get(request.user, pk)
        qs = selectors.vote_list(request.user, round, mine=_truthy(request.query_params.get("mine")),
                                 anchor=selectors.parse_anchor_param(request.query_params.get("anchor")))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(VoteSerializer(page, many=True).data)

    @extend_schema(request=VoteWriteSerializer, responses={200: VoteSerializer, 201: VoteSerializer, **ERRORS})
    def post(self, request, pk):
        round = round_selectors.round_get(request.user, pk)
        serializer = VoteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.vote_cast(actor=request.user, round=round, anchor=data.get("anchor"),
                                    position=data["position"], rationale=data.get("rationale", ""))
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(VoteSerializer(result.vote).data, status=code)


class RoundTallyView(APIView):
    """The round's rule and, for the whole version (``anchor: null``, first) and every clause, the
    counts overall and by stakeholder group, the status and the sentence saying what is still needed."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: RoundTallySerializer, 404: ErrorSerializer})
    def get(self, request, pk):
        round = round_selectors.round_get(request.user, pk)
        return Response(selectors.round_tally(round))


class RoundVoteHistoryView(generics.GenericAPIView):
    """Every cast and change of a vote, oldest first (facilitators; everyone when votes are public)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = VoteChangeSerializer

    @extend_schema(parameters=[ANCHOR_PARAM], responses={200: VoteChangeSerializer(many=True), 403: ErrorSerializer,
                                                          404: ErrorSerializer})
    def get(self, request, pk):
        round = round_selectors.round_get(request.user, pk)
        qs = selectors.vote_history(request.user, round,
                                    anchor=selectors.parse_anchor_param(request.query_params.get("anchor")))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(VoteChangeSerializer(page, many=True).data)


class RoundVoteImportView(APIView):
    """Import votes recorded elsewhere (facilitators; open or closed rounds): a multipart ``file``,
    or the CSV / JSON Lines / JSON array as the request body with ``?format=csv|jsonl|json``. A bad
    row: 400 naming its line (or record) and reason, and nothing of the file is stored."""

    permission_classes = [IsFacilitator]
    parser_classes = [MultiPartParser, FormParser, RawUploadParser]
    content_negotiation_class = FileFormatNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "jsonl", "json"],
                                     description="The body's format when it is sent raw (default: guessed).")],
        request={
            "multipart/form-data": VoteImportUploadSerializer,
            "text/csv": OpenApiTypes.BINARY,
            "application/x-ndjson": OpenApiTypes.BINARY,
        },
        responses={200: VoteImportResultSerializer, **ERRORS},
    )
    def post(self, request, pk):
        round = round_selectors.round_get(request.user, pk)
        fmt = request.query_params.get("format") or None
        upload = request.FILES.get("file")
        if upload is not None:
            data, filename = upload.read(), upload.name or ""
        else:
            data, filename = (request.data.get("raw", b"") if hasattr(request.data, "get") else b""), ""
            content_type = (request.content_type or "").split(";")[0].strip().lower()
            if not fmt and content_type in ("application/x-ndjson", "application/jsonl", "application/json"):
                fmt = "jsonl"
            elif not fmt and content_type == "text/csv":
                fmt = "csv"
        if not data:
            raise ValidationFailed("Send the file as multipart field 'file', or as the request body.", field="file")
        result = services.vote_import(actor=request.user, round=round, file_bytes=data, filename=filename, fmt=fmt)
        return Response(result.as_dict())
