"""API routes for consolidation jobs and round reports (mounted under /api/)."""
from django.urls import path

from . import jobs

urlpatterns = [
    path("rounds/<int:pk>/consolidate/", jobs.RoundConsolidateView.as_view(), name="api-round-consolidate"),
    path("rounds/<int:pk>/reports/", jobs.RoundReportListView.as_view(), name="api-round-reports"),
    path("rounds/<int:pk>/report.<str:fmt>", jobs.RoundLatestReportView.as_view(), name="api-round-report"),
    path("jobs/<int:pk>/", jobs.JobDetailView.as_view(), name="api-job"),
    path("jobs/<int:pk>/rerun/", jobs.JobRerunView.as_view(), name="api-job-rerun"),
    path("reports/<int:pk>.<str:fmt>", jobs.ReportDownloadView.as_view(), name="api-report"),
]
