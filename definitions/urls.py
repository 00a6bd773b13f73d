"""Pages of the definitions app. Version labels may hold dots, so they match [^/]+."""
from django.urls import path, re_path

from . import views

app_name = "definitions"

LABEL = r"(?P<label>[^/]+)"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"

urlpatterns = [
    path("", views.definition_list, name="list"),
    path("new/", views.definition_create, name="create"),
    re_path(rf"^{SLUG}/$", views.definition_detail, name="detail"),
    re_path(rf"^{SLUG}/import/$", views.version_import, name="import"),
    re_path(rf"^{SLUG}/history/$", views.history, name="history"),
    re_path(rf"^{SLUG}/compare/$", views.compare, name="compare"),
    re_path(rf"^{SLUG}/{LABEL}/export\.md$", views.version_export, name="export"),
    re_path(rf"^{SLUG}/{LABEL}/publish/$", views.version_publish, name="publish"),
    re_path(rf"^{SLUG}/{LABEL}/$", views.version_detail, name="version"),
]
