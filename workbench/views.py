"""Core pages: home, accounts, health, and error pages."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import services
from .errors import DomainError
from .models import Stakeholder, StakeholderGroup


def home(request):
    from definitions.selectors import definition_list_for

    definitions = list(definition_list_for(request.user)[:20])
    return render(request, "workbench/home.html", {"definitions": definitions})


def healthz(request):
    """Liveness and readiness: the database answers, and so does the broker when there is one."""
    from django.conf import settings

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # a health endpoint reports failures instead of raising them
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


class SignUpForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Letters, digits and @/./+/-/_ only.")
    display_name = forms.CharField(max_length=150, required=False, help_text="Shown beside your comments.")
    email = forms.EmailField(required=False, help_text="Only used for notifications you opt into.")
    group = forms.ModelChoiceField(
        queryset=StakeholderGroup.objects.order_by("name"),
        required=False,
        empty_label="(none yet)",
        label="Stakeholder group",
    )
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_sign_up(
                username=data["username"],
                password=data["password1"],
                email=data["email"],
                display_name=data["display_name"],
                group=data["group"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in ("username",) else None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to Workbench. Your account is ready.")
            return redirect("profile")
    return render(request, "registration/signup.html", {"form": form})


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = ["display_name", "affiliation", "group", "conflict_of_interest", "notify_by_email"]
        labels = {"group": "Stakeholder group", "notify_by_email": "E-mail me about rounds and my comments"}
        widgets = {"conflict_of_interest": forms.Textarea(attrs={"rows": 4})}


@login_required
def profile(request):
    stakeholder = services.stakeholder_for(request.user)
    return render(request, "workbench/profile.html", {"stakeholder": stakeholder})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    stakeholder = services.stakeholder_for(request.user)
    form = ProfileForm(request.POST or None, instance=Stakeholder.objects.get(pk=stakeholder.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, **{f: form.cleaned_data[f] for f in form.Meta.fields})
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Profile saved.")
            return redirect("profile")
    return render(request, "workbench/profile_edit.html", {"form": form})


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return render(request, "workbench/error.html", {"title": "Not found", "message": str(exception or "")}, status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": "Server error. It has been logged.", "code": "server_error"}, status=500)
    return render(request, "workbench/error.html", {"title": "Something went wrong", "message": ""}, status=500)

