"""Comments API: list and post on a round, read, edit and withdraw one, report it, and (facilitators)
hide, restore and answer it. Thin views over the comment selectors and services."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from workbench.api.permissions import IsFacilitator

from ..models import Stance
from ..selectors import rounds as selectors
from ..services import comments as services
from .serializers_rounds import (
    CommentCreateSerializer,
    CommentDetailSerializer,
    CommentEditSerializer,
    CommentSerializer,
    DISPOSITION_CHOICES,
    DispositionSerializer,
    ErrorSerializer,
    ModerationSerializer,
    ReportSerializer,
)

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class RoundCommentListView(generics.ListAPIView):
    """A round's comments, oldest first. Readers see visible comments (and their own hidden or
    withdrawn ones, marked); facilitators see all."""

    serializer_class = CommentSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_queryset(self):
        round = selectors.round_get(self.request.user, self.kwargs["pk"])
        params = self.request.query_params
        return selectors.comment_list(
            self.request.user, round, anchor=params.get("anchor"), stance=params.get("stance"),
            disposition=params.get("disposition"), author=params.get("author"),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("anchor", OpenApiTypes.STR, description=(
                "Only comments on this clause anchor. Present but empty (`?anchor=`): only comments on the "
                "whole version. Absent: every comment.")),
            OpenApiParameter("stance", OpenApiTypes.STR, enum=Stance.values),
            OpenApiParameter("disposition", OpenApiTypes.STR, description=f"{DISPOSITION_CHOICES} (pending = unanswered)"),
            OpenApiParameter("author", OpenApiTypes.STR, description="A stakeholder id, or `me`."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentDetailSerializer, **ERRORS})
    def post(self, request, pk):
        round = selectors.round_get(request.user, pk)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = services.comment_create(
            actor=request.user, round=round, body=data["body"], anchor=data.get("anchor") or "",
            stance=data.get("stance") or "neutral", suggestion=data.get("suggestion", ""), parent=data.get("parent"),
        )
        comment = selectors.comment_get(request.user, comment.pk)
        return Response(CommentDetailSerializer(comment, context={"request": request}).data, status=status.HTTP_201_CREATED)


class CommentDetailView(APIView):
    """Read a comment (with its earlier revisions); its author edits it (PATCH) or withdraws it (DELETE)
    while the round is open."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    def _out(self, request, pk):
        return Response(CommentDetailSerializer(selectors.comment_get(request.user, pk), context={"request": request}).data)

    @extend_schema(responses={200: CommentDetailSerializer, 404: ErrorSerializer})
    def get(self, request, pk):
        return self._out(request, pk)

    @extend_schema(request=CommentEditSerializer, responses={200: CommentDetailSerializer, **ERRORS})
    def patch(self, request, pk):
        comment = selectors.comment_get(request.user, pk)
        serializer = CommentEditSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.comment_edit(actor=request.user, comment=comment, **serializer.validated_data)
        return self._out(request, pk)

    @extend_schema(request=None, responses={200: CommentDetailSerializer, **ERRORS})
    def delete(self, request, pk):
        services.comment_withdraw(actor=request.user, comment=selectors.comment_get(request.user, pk))
        return self._out(request, pk)


class _CommentActionView(APIView):
    """Validate the body, hand it to one service with the comment, answer with the comment as it
    now is. Subclasses name the serializer and the service."""

    request_serializer: type
    service: staticmethod

    def post(self, request, pk):
        comment = selectors.comment_get(request.user, pk)
        serializer = self.request_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.service(actor=request.user, comment=comment, **serializer.validated_data)
        return Response(CommentSerializer(selectors.comment_get(request.user, pk), context={"request": request}).data)


@extend_schema(request=ReportSerializer, responses={200: CommentSerializer, **ERRORS})
class CommentReportView(_CommentActionView):
    """Report a comment (spam, offensive, off-topic); enough reports hide it pending review."""

    permission_classes = [IsAuthenticated]
    request_serializer = ReportSerializer
    service = staticmethod(services.comment_report)


@extend_schema(request=ModerationSerializer, responses={200: CommentSerializer, **ERRORS})
class CommentHideView(_CommentActionView):
    """Hide a comment, with a reason (facilitators). It is kept, but drops out of counts and reports."""

    permission_classes = [IsFacilitator]
    request_serializer = ModerationSerializer
    service = staticmethod(services.comment_hide)


@extend_schema(request=ModerationSerializer, responses={200: CommentSerializer, **ERRORS})
class CommentRestoreView(_CommentActionView):
    """Show a hidden comment again, or dismiss the reports on a visible one, with a reason (facilitators)."""

    permission_classes = [IsFacilitator]
    request_serializer = ModerationSerializer
    service = staticmethod(services.comment_restore)


class CommentDispositionView(APIView):
    """Answer a comment: disposition and public response (facilitators); the author is notified."""

    permission_classes = [IsFacilitator]

    @extend_schema(request=DispositionSerializer, responses={200: CommentSerializer, **ERRORS})
    def post(self, request, pk):
        comment = selectors.comment_get(request.user, pk)
        serializer = DispositionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.comment_dispose(actor=request.user, comment=comment, disposition=data["disposition"],
                                 response=data.get("response", ""), duplicate_of=data.get("duplicate_of"))
        return Response(CommentSerializer(selectors.comment_get(request.user, pk), context={"request": request}).data)
