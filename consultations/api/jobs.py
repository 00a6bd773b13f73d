"""Consolidation API: start a round's consolidation, follow its job, re-run a failed one, list and
download the reports (JSON, Markdown, HTML). Thin views: services write, selectors read, domain
errors become HTTP in one handler."""
from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from workbench.errors import NotFound

from ..jobs import services
from ..models import Job, Report
from ..selectors import jobs as selectors
from ..selectors import rounds as round_selectors
from .serializers_rounds import ErrorSerializer

FORMATS = {
    "json": ("application/json; charset=utf-8", "json"),
    "md": ("text/markdown; charset=utf-8", "markdown"),
    "html": ("text/html; charset=utf-8", "html"),
}


def _report_links(report: Report) -> dict:
    return {fmt: reverse("api-report", kwargs={"pk": report.pk, "fmt": fmt}) for fmt in FORMATS}


class ReportSummarySerializer(serializers.ModelSerializer):
    job = serializers.IntegerField(source="job_id")
    links = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "job", "input_fingerprint", "created_at", "links", "page"]

    def get_links(self, report) -> dict:
        return _report_links(report)

    def get_page(self, report) -> str:
        return reverse("consultations:report", args=[report.round_id]) + f"?report={report.pk}"


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    round = serializers.IntegerField(source="round_id")
    progress = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "url", "kind", "round", "state", "progress", "parts_done", "parts_total", "attempts",
            "input_fingerprint", "error", "created_at", "dispatched_at", "started_at", "finished_at", "heartbeat_at",
            "timings", "report",
        ]

    def get_url(self, job) -> str:
        return reverse("api-job", kwargs={"pk": job.pk})

    def get_error(self, job) -> str:
        """Why the job failed (facilitators); other readers get a note that it failed."""
        request = self.context.get("request")
        return selectors.job_error_for(getattr(request, "user", None), job)

    def get_progress(self, job) -> int:
        """Percent of the job's parts done (100 once succeeded)."""
        return selectors.progress_percent(job)

    @staticmethod
    def _report(job):
        try:
            return job.report
        except Report.DoesNotExist:
            return None

    def get_report(self, job) -> dict | None:
        report = self._report(job)
        if report is None:
            return None
        return {"id": report.pk, "links": _report_links(report),
                "page": reverse("consultations:report", args=[job.round_id]) + f"?report={report.pk}"}


JobAcceptedSerializer = inline_serializer("JobAccepted", fields={
    "id": serializers.IntegerField(), "url": serializers.CharField(), "state": serializers.CharField(),
})
ERRORS = {403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}
DOWNLOAD = {
    (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="The report as JSON."),
    (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="The report as Markdown."),
    (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="The report as an HTML document."),
    404: ErrorSerializer,
}


def _artifact(report: Report, fmt: str, *, attachment: bool) -> HttpResponse:
    if fmt not in FORMATS:
        raise NotFound(f"No report format {fmt!r}; use json, md or html.")
    content_type, field = FORMATS[fmt]
    response = HttpResponse(getattr(report, field), content_type=content_type)
    filename = f"{report.round.definition.slug}-round-{report.round.number}-report-{report.pk}.{fmt}"
    response["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    response["X-Input-Fingerprint"] = report.input_fingerprint
    return response


class RoundConsolidateView(APIView):
    """Start consolidating a closed round: 202 with the job (an already queued or running job of the
    round is returned instead of a second one)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: JobAcceptedSerializer, **ERRORS})
    def post(self, request, pk):
        round = round_selectors.round_get(request.user, pk)
        job = services.consolidation_request(actor=request.user, round=round)
        job.refresh_from_db(fields=["state"])
        url = reverse("api-job", kwargs={"pk": job.pk})
        return Response({"id": job.pk, "url": url, "state": job.state}, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": url})


class JobDetailView(APIView):
    """A job: state, progress, parts done of total, timings, error, input fingerprint, report links."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: JobSerializer, 404: ErrorSerializer})
    def get(self, request, pk):
        return Response(JobSerializer(selectors.job_get(request.user, pk), context={"request": request}).data)


class JobRerunView(APIView):
    """Run a failed job (or one stuck running) again: 202 with the job."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: JobSerializer, **ERRORS})
    def post(self, request, pk):
        job = services.job_rerun(actor=request.user, job=selectors.job_get(request.user, pk))
        job = selectors.job_get(request.user, job.pk)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class RoundReportListView(generics.ListAPIView):
    """The round's reports, newest first."""

    permission_classes = [AllowAny]
    serializer_class = ReportSummarySerializer

    def get_queryset(self):
        return selectors.reports_of(round_selectors.round_get(self.request.user, self.kwargs["pk"]))

    @extend_schema(responses={200: ReportSummarySerializer(many=True), 404: ErrorSerializer})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RoundLatestReportView(APIView):
    """The round's latest report as ``report.json``, ``report.md`` or ``report.html``."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DOWNLOAD)
    def get(self, request, pk, fmt):
        round = round_selectors.round_get(request.user, pk)
        if fmt not in FORMATS:
            raise NotFound(f"No report format {fmt!r}; use json, md or html.")
        return _artifact(selectors.latest_report_get(round), fmt, attachment=False)


class ReportDownloadView(APIView):
    """One report, downloadable as ``.json``, ``.md`` or ``.html``."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DOWNLOAD)
    def get(self, request, pk, fmt):
        return _artifact(selectors.report_get(request.user, pk), fmt, attachment=True)
