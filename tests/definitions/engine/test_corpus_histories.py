"""Real drafting histories (read-only, outside the project): every pair of consecutive versions is
diffed as the workbench would, after an import that inherits anchors. Every clause of both versions
must be accounted for exactly once and the word ops must rebuild both texts exactly. How many
unchanged clauses kept their anchor is printed (run with ``-s`` to see it), not asserted.

Skipped when the corpus is absent: at ``../shared/corpus`` next to the project, or where the
WORKBENCH_CORPUS environment variable points.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from definitions.engine.align import ClauseRef, align
from definitions.engine.diff import diff_versions
from definitions.engine.markdown import assign_anchors, parse

CORPUS = Path(os.environ.get("WORKBENCH_CORPUS") or Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus")


def _by_filename(folder: str) -> list[str]:
    return sorted(path.stem for path in (CORPUS / folder).glob("*.md"))


HISTORIES: dict[str, list[str]] = {
    "osaid": ["0.0.2", "0.0.3", "0.0.4", "0.0.5", "0.0.6", "0.0.7.1", "0.0.8", "0.0.9", "1.0-RC1"],
    "contributor-covenant": ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4", "2.0", "2.1"],
    "open-definition": ["1.0", "1.1", "2.0", "2.1"],
    "open-weights-definition": _by_filename("open-weights-definition") if CORPUS.is_dir() else [],
}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


def _anchored_history(name: str) -> list[tuple[str, list[ClauseRef]]]:
    """Each version of a history with the anchors an import would give it: the first version's own,
    then for each next version those it inherits through the alignment."""
    versions: list[tuple[str, list[ClauseRef]]] = []
    previous: list[ClauseRef] = []
    for label in HISTORIES[name]:
        document = parse((CORPUS / name / f"{label}.md").read_text(encoding="utf-8"))
        sources = [clause.source for clause in document.clauses]
        continuation = align(previous, [ClauseRef(None, source) for source in sources]).continuation_of()
        inherited = {new: previous[old].key for new, old in continuation.items()}
        anchors = assign_anchors(document, inherited, {ref.key for ref in previous if ref.key})
        current = [ClauseRef(anchor, source) for anchor, source in zip(anchors, sources, strict=True)]
        versions.append((label, current))
        previous = current
    return versions


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_consecutive_versions_account_for_every_clause_and_rebuild_exactly(name):
    versions = _anchored_history(name)
    assert len(versions) >= 2, f"{name}: fewer than two versions found"
    for (from_label, old), (to_label, new) in zip(versions, versions[1:]):
        results = {}
        for unanchored in (False, True):
            new_side = [ClauseRef(None, ref.markdown) for ref in new] if unanchored else new
            result = results[unanchored] = diff_versions(old, new_side, from_label=from_label, to_label=to_label)
            where = f"{name} {from_label} -> {to_label}{' (unanchored)' if unanchored else ''}"

            from_indices = sorted(c.from_index for c in result.clauses if c.from_index is not None)
            to_indices = [c.to_index for c in result.clauses if c.to_index is not None]
            assert from_indices == list(range(len(old))), where
            assert to_indices == list(range(len(new))), where
            for clause in result.clauses:
                old_text = "".join(text for op, text in clause.words if op in "=-")
                new_text = "".join(text for op, text in clause.words if op in "=+")
                assert old_text == (clause.from_markdown or ""), where
                assert new_text == (clause.to_markdown or ""), where
                if clause.from_index is not None:
                    assert clause.from_markdown == old[clause.from_index].markdown, where
                if clause.to_index is not None:
                    assert clause.to_markdown == new[clause.to_index].markdown, where

        # The report: of the new clauses whose text the old version has, how many kept its anchor.
        old_anchor_by_text: dict[str, set[str]] = {}
        for ref in old:
            old_anchor_by_text.setdefault(ref.markdown, set()).add(ref.key or "")
        unchanged = [ref for ref in new if ref.markdown in old_anchor_by_text]
        kept = sum(1 for ref in unchanged if ref.key in old_anchor_by_text[ref.markdown])
        stats = results[False].stats
        print(
            f"{name:<24} {from_label:>19} -> {to_label:<19} clauses {len(old):3}/{len(new):3}  "
            f"unchanged kept their anchor {kept}/{len(unchanged)}  "
            f"equal {stats['equal']} modified {stats['modified']} moved {stats['moved']} "
            f"added {stats['added']} removed {stats['removed']}"
        )
