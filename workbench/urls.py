"""Top-level routes: pages, the API under /api/, the admin, health."""
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from workbench import views
from workbench.api.errors import api_not_found

api_patterns = [
    path("", include("workbench.api.urls")),
    path("", include("definitions.api.urls")),
    path("", include("consultations.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/edit/", views.profile_edit, name="profile-edit"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("definitions/", include("definitions.urls")),
    path("", include("consultations.urls")),
]

handler404 = "workbench.views.not_found"
handler500 = "workbench.views.server_error"
