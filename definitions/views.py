"""Pages for definitions: list, timeline, version reading page, import with preview, compare, history."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from workbench import audit
from workbench.errors import DomainError, NotAllowed, NotFound
from workbench.roles import is_facilitator

from . import diffing, exporting, selectors, services


def _definition(request, slug):
    try:
        return selectors.definition_get(request.user, slug)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _version(request, definition, label):
    try:
        return selectors.version_get(request.user, definition, label)
    except NotFound as exc:
        raise Http404(exc.message) from None


def definition_list(request):
    definitions = selectors.definition_list_for(request.user)
    return render(request, "definitions/list.html", {"definitions": definitions})


def definition_detail(request, slug):
    definition = _definition(request, slug)
    versions = list(selectors.versions_of(request.user, definition).order_by("-sequence"))
    rounds = []
    try:
        from consultations import selectors as round_selectors

        rounds = list(round_selectors.rounds_for_definition(request.user, definition))
    except (ImportError, AttributeError):
        rounds = []
    return render(
        request,
        "definitions/detail.html",
        {"definition": definition, "versions": versions, "rounds": rounds,
         "export_version": selectors.default_export_version(request.user, definition)},
    )


def version_detail(request, slug, label):
    definition = _definition(request, slug)
    version = _version(request, definition, label)
    clauses = list(selectors.clauses_of(version))
    previous = (
        selectors.visible_versions(request.user)
        .filter(definition=definition, sequence__lt=version.sequence)
        .order_by("-sequence")
        .first()
    )
    toc = [c for c in clauses if c.kind == "heading"]
    context = {
        "definition": definition,
        "version": version,
        "clauses": clauses,
        "toc": toc,
        "previous": previous,
    }
    try:
        from consultations import selectors as round_selectors

        context.update(round_selectors.version_page_context(request.user, version, clauses))
    except (ImportError, AttributeError):
        pass
    return render(request, "definitions/version.html", context)


def version_export(request, slug, label):
    definition = _definition(request, slug)
    version = _version(request, definition, label)
    with_front_matter = request.GET.get("front_matter", "1") not in ("0", "false", "no")
    text = exporting.export_markdown(version, with_front_matter=with_front_matter)
    response = HttpResponse(text.encode("utf-8"), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exporting.export_filename(version)}"'
    return response


def history(request, slug):
    definition = _definition(request, slug)
    page = Paginator(audit.events_for_scope(definition.audit_scope), 50).get_page(request.GET.get("page"))
    return render(request, "definitions/history.html", {"definition": definition, "page": page})


def compare(request, slug):
    definition = _definition(request, slug)
    versions = list(selectors.versions_of(request.user, definition).order_by("sequence"))
    labels = [v.label for v in versions]
    from_label = request.GET.get("from") or (labels[-2] if len(labels) > 1 else (labels[0] if labels else ""))
    to_label = request.GET.get("to") or (labels[-1] if labels else "")
    view = request.GET.get("view", "inline")
    if view not in ("inline", "side_by_side"):
        view = "inline"
    mode = request.GET.get("mode", "changes")
    if mode not in ("changes", "whole"):
        mode = "changes"
    context = {"definition": definition, "versions": versions, "from_label": from_label, "to_label": to_label,
               "view": view, "mode": mode}
    if from_label and to_label:
        old = _version(request, definition, from_label)
        new = _version(request, definition, to_label)
        result = diffing.diff_object(old, new)
        from .engine import redline

        context.update(
            {
                "old": old,
                "new": new,
                "stats": result.to_dict()["stats"],
                "diff_html": mark_safe(  # the renderer escapes every piece of document text
                    redline.to_html(
                        result,
                        layout=view,
                        only_changes=(mode == "changes"),
                        from_href=f"/definitions/{definition.slug}/{old.label}/",
                        to_href=f"/definitions/{definition.slug}/{new.label}/",
                    )
                ),
            }
        )
    return render(request, "definitions/compare.html", context)


class DefinitionForm(forms.Form):
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, required=False, help_text="Used in addresses; made from the title when empty.")
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    licence = forms.CharField(max_length=100, required=False, help_text="Licence of the text, e.g. CC-BY-4.0.")


@require_http_methods(["GET", "POST"])
def definition_create(request):
    if not is_facilitator(request.user):
        return render(request, "workbench/error.html", {"title": "Facilitators only",
                      "message": "Only facilitators can start a definition."}, status=403)
    form = DefinitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            definition = services.definition_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Definition {definition.title} created. Import its first version.")
            return redirect("definitions:import", slug=definition.slug)
    return render(request, "definitions/create.html", {"form": form})


class ImportForm(forms.Form):
    label = forms.CharField(max_length=40, help_text="e.g. 0.0.9, 1.0-RC1, 1.0")
    change_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    file = forms.FileField(required=False, help_text="A UTF-8 Markdown file; or paste the text below.")
    markdown = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}), required=False, strip=False,
        help_text="Pasted text is stored with LF line endings; upload a file to keep its bytes exactly.",
    )
    publish = forms.BooleanField(required=False, label="Publish at once (a published version can no longer change)")


@require_http_methods(["GET", "POST"])
def version_import(request, slug):
    definition = _definition(request, slug)
    if not is_facilitator(request.user):
        return render(request, "workbench/error.html", {"title": "Facilitators only",
                      "message": "Only facilitators can import versions."}, status=403)
    form = ImportForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # Browsers send a textarea's line breaks as CRLF whatever was pasted; uploads keep their bytes.
            markdown = data["markdown"].replace("\r\n", "\n")
            if data["file"]:
                markdown = services.decode_markdown(data["file"].read())
            if not markdown.strip():
                raise DomainError("Upload a file or paste the Markdown text.", field="markdown")
            if "confirm" not in request.POST:
                preview = services.preview_clauses(markdown)
                # Carry the text to the confirm step in the form, so the upload is not needed twice.
                form = ImportForm(initial={**data, "markdown": markdown, "file": None})
            else:
                version = services.version_import(
                    actor=request.user, definition=definition, label=data["label"], markdown=markdown,
                    change_note=data["change_note"],
                )
                if data["publish"]:
                    services.version_publish(actor=request.user, version=version)
                messages.success(request, f"Version {version.label} imported with {version.clause_count} clauses.")
                return redirect("definitions:version", slug=definition.slug, label=version.label)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "definitions/import.html", {"definition": definition, "form": form, "preview": preview})


@require_POST
def version_publish(request, slug, label):
    definition = _definition(request, slug)
    version = _version(request, definition, label)
    try:
        if request.POST.get("action") == "finalize":
            services.version_finalize(actor=request.user, version=version)
            messages.success(request, f"Version {version.label} is now the final version.")
        else:
            services.version_publish(actor=request.user, version=version)
            messages.success(request, f"Version {version.label} is published.")
    except NotAllowed as exc:
        return render(request, "workbench/error.html", {"title": "Facilitators only", "message": exc.message}, status=403)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("definitions:version", slug=definition.slug, label=version.label)
