"""Diffs between stored versions, cached when both sides are frozen (they never change)."""
from __future__ import annotations

import json

from django.core.cache import cache

from .engine import align as align_engine
from .engine import diff as diff_engine
from .engine import redline
from .models import DefinitionVersion

CACHE_SECONDS = 7 * 24 * 3600


def _refs(version: DefinitionVersion):
    return [
        align_engine.ClauseRef(key=anchor, markdown=source)
        for anchor, source in version.clauses.order_by("ordinal").values_list("anchor", "source_markdown")
    ]


def _compute(old: DefinitionVersion, new: DefinitionVersion):
    return diff_engine.diff_versions(_refs(old), _refs(new), from_label=old.label, to_label=new.label)


def diff_dict(old: DefinitionVersion, new: DefinitionVersion) -> dict:
    """The JSON form of the diff; from the cache when both versions are published or final."""
    if not (old.is_frozen and new.is_frozen):
        return _compute(old, new).to_dict()
    key = f"wb:diff:v1:{old.content_hash}:{old.pk}:{new.content_hash}:{new.pk}"
    cached = cache.get(key)
    if cached is not None:
        return json.loads(cached)
    data = _compute(old, new).to_dict()
    cache.set(key, json.dumps(data, ensure_ascii=False), CACHE_SECONDS)
    return data


def diff_object(old: DefinitionVersion, new: DefinitionVersion):
    return _compute(old, new)


def diff_rendered(old: DefinitionVersion, new: DefinitionVersion, *, fmt: str, only_changes: bool = False,
                  layout: str = "inline") -> str:
    result = _compute(old, new)
    if fmt == "markdown":
        return redline.to_markdown(result, only_changes=only_changes)
    return redline.to_html(result, layout=layout, only_changes=only_changes)
