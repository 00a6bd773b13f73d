"""API routes of the definitions app. Labels may hold dots (0.0.9), hence the [^/]+ patterns."""
from django.urls import path, re_path

from . import views

LABEL = r"(?P<label>[^/]+?)"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"

urlpatterns = [
    path("definitions/", views.DefinitionListView.as_view(), name="api-definitions"),
    re_path(rf"^definitions/{SLUG}/$", views.DefinitionDetailView.as_view(), name="api-definition"),
    re_path(rf"^definitions/{SLUG}/versions/$", views.VersionListView.as_view(), name="api-versions"),
    re_path(rf"^definitions/{SLUG}/versions/{LABEL}/export\.md$", views.VersionExportView.as_view(), name="api-version-export"),
    re_path(rf"^definitions/{SLUG}/versions/{LABEL}/publish/$", views.VersionPublishView.as_view(), name="api-version-publish"),
    re_path(rf"^definitions/{SLUG}/versions/{LABEL}/finalize/$", views.VersionFinalizeView.as_view(), name="api-version-finalize"),
    re_path(rf"^definitions/{SLUG}/versions/{LABEL}/$", views.VersionDetailView.as_view(), name="api-version"),
    re_path(rf"^definitions/{SLUG}/diff/$", views.DiffView.as_view(), name="api-diff"),
    re_path(rf"^definitions/{SLUG}/history/$", views.HistoryView.as_view(), name="api-history"),
]
