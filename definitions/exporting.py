"""Export a version as clean Markdown: YAML front matter (title, version, status, date, licence,
canonical URL) followed by the body exactly as imported. Without front matter, the body alone,
byte for byte."""
from __future__ import annotations

import re

import yaml
from django.conf import settings
from django.urls import reverse

from .models import DefinitionVersion

# A document that starts with its own front matter: ours replaces it (its keys are kept unless ours
# say otherwise), so the export never holds two front-matter blocks.
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*(\r\n|\r|\n)(.*?)(\r\n|\r|\n)---[ \t]*((\r\n|\r|\n)|\Z)", re.S)


def canonical_url(version: DefinitionVersion) -> str:
    return settings.SITE_URL + reverse("definitions:version", args=[version.definition.slug, version.label])


def version_date(version: DefinitionVersion):
    stamp = version.finalized_at or version.published_at or version.created_at
    return stamp.date().isoformat()


def front_matter(version: DefinitionVersion) -> dict:
    data = {
        "title": version.title or version.definition.title,
        "version": version.label,
        "status": version.status,
        "date": version_date(version),
    }
    if version.licence:
        data["licence"] = version.licence
    data["canonical_url"] = canonical_url(version)
    data["content_sha256"] = version.content_hash
    return data


def export_markdown(version: DefinitionVersion, *, with_front_matter: bool = True) -> str:
    body = version.source_markdown
    if not with_front_matter:
        return body
    ours = front_matter(version)
    match = FRONT_MATTER_RE.match(body)
    if match:
        try:
            theirs = yaml.safe_load(match.group(2)) or {}
        except yaml.YAMLError:
            theirs = {}
        if isinstance(theirs, dict):
            ours = {**{str(k): v for k, v in theirs.items()}, **ours}
        body = body[match.end():]
    header = yaml.safe_dump(ours, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{header}---\n\n{body}" if body and not body.startswith(("\n", "\r")) else f"---\n{header}---\n{body}"


def export_filename(version: DefinitionVersion) -> str:
    return f"{version.definition.slug}-{version.label}.md"
