"""Pages for round reports and consolidation (app "consultations", mounted at /)."""
from django.urls import path

from . import reports

urlpatterns = [
    path("rounds/<int:pk>/report/", reports.report, name="report"),
    path("rounds/<int:pk>/consolidate/", reports.consolidate, name="consolidate"),
]
