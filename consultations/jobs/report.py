"""Assembling a round's report from its job's parts, and rendering it as JSON, Markdown and HTML.

The report is a pure function of its input: no timestamps of its making (those live on the Job),
every list in a fixed order, JSON with sorted keys. So the same round, comments, votes, rule and
versions give byte-identical artifacts, whichever workers did the parts and in whatever order.

Markdown and HTML are for reading: long lists of comment ids (themes, duplicate groups,
suggestions) are cut to ``ID_LIMIT`` with the count of the rest; the JSON always has every id, and
the disposition table lists every visible comment in all three formats.
"""
from __future__ import annotations

import html
import json
from typing import Iterable

from definitions.diffing import diff_object
from definitions.engine.redline import clause_to_html, clause_to_markdown
from definitions.models import Clause, DefinitionVersion, VersionStatus

from ..models import DraftingRound, Position, Stance
from .analysis import PENDING

__all__ = ["build_report", "render_json", "render_markdown", "render_html", "html_fragment", "later_version"]

SCHEMA = "workbench-round-report/1"
ID_LIMIT = 30
PRIVATE_KEYS = {"redline_html", "accepted_comment_ids", "digest", "timings"}
DISPOSITION_LABELS = {PENDING: "Pending", "accepted": "Accepted", "partially-accepted": "Partially accepted",
                      "rejected": "Rejected", "deferred": "Deferred", "duplicate": "Duplicate",
                      "out-of-scope": "Out of scope"}
STATUS_LABELS = {"consensus": "Consensus", "contested": "Contested", "blocked": "Blocked", "no-quorum": "Short of quorum"}
WHOLE_HEADING = "The version as a whole"


def later_version(round: DraftingRound) -> DefinitionVersion | None:
    """The next published (or final) version after the round's one, if there is one yet."""
    return (
        DefinitionVersion.objects.filter(
            definition_id=round.definition_id, sequence__gt=round.version.sequence,
            status__in=[VersionStatus.PUBLISHED, VersionStatus.FINAL],
        ).order_by("sequence").first()
    )


def _empty_result(anchor: str | None, rule) -> dict:
    from ..engine.tally import tally_counts

    return {
        "anchor": anchor,
        "participation": {"stakeholders": 0, "commenters": 0, "comments": 0, "voters": 0, "votes": 0, "by_group": {}},
        "tally": tally_counts([], rule, targets=[anchor])[0].to_dict(),
        "stances": {value: 0 for value in Stance.values},
        "duplicate_groups": [], "themes": [], "suggestions": [], "dispositions": [], "accepted_comment_ids": [],
    }


def build_report(round: DraftingRound, results: dict[str, dict], *, round_figures: dict, fingerprint: str,
                 later: DefinitionVersion | None) -> dict:
    """The report as a dict, from the parts' results keyed by target ('' = the whole version).
    Keeps the private keys (HTML of redlines, accepted ids) the renderers need; ``render_json``
    drops them."""
    from ..selectors.votes import rule_dict, rule_for

    rule = rule_for(round)
    version = round.version
    clauses = list(
        Clause.objects.filter(version_id=version.pk).order_by("ordinal")
        .values_list("anchor", "kind", "heading_path", "source_markdown")
    )
    sections = []
    whole = dict(results.get("") or _empty_result(None, rule))
    whole.update(anchor=None, kind="version", heading_path=[], heading=WHOLE_HEADING, markdown=None)
    sections.append(whole)
    for anchor, kind, heading_path, markdown in clauses:
        section = dict(results.get(anchor) or _empty_result(anchor, rule))
        section.update(anchor=anchor, kind=kind, heading_path=list(heading_path or []), markdown=markdown,
                       heading=" › ".join(heading_path or []) or anchor)
        sections.append(section)

    diff = None
    if later is not None:
        accepted = {s["anchor"]: s.get("accepted_comment_ids", []) for s in sections if s["anchor"]}
        result = diff_object(version, later)
        changed = []
        for clause in result.clauses:
            if clause.op == "equal":
                continue
            sources = [a for a in [clause.from_anchor, clause.split_from, *clause.merged_from] if a]
            ids = sorted({cid for a in sources for cid in accepted.get(a, [])})
            changed.append({
                "op": clause.op, "from_anchor": clause.from_anchor, "to_anchor": clause.to_anchor,
                "whitespace_only": clause.whitespace_only, "redline": clause_to_markdown(clause),
                "redline_html": clause_to_html(clause), "comment_ids": ids,
            })
        diff = {"from": version.label, "to": later.label, "stats": result.stats, "clauses": changed}

    return {
        "schema": SCHEMA,
        "round": {
            "id": round.pk, "number": round.number, "title": round.title, "description": round.description,
            "definition": round.definition.slug, "definition_title": round.definition.title,
            "opens_at": round.opens_at.isoformat(), "closes_at": round.closes_at.isoformat(),
            "visibility": round.visibility, "rule": rule_dict(round),
            "eligible_groups": sorted(round.eligible_groups.values_list("slug", flat=True)),
        },
        "version": {"label": version.label, "content_hash": version.content_hash, "clause_count": len(clauses)},
        "later_version": {"label": later.label, "content_hash": later.content_hash} if later else None,
        "input_fingerprint": fingerprint,
        "participation": round_figures["participation"],
        "stances": round_figures["stances"],
        "positions": round_figures["positions"],
        "dispositions": round_figures["dispositions"],
        "clauses": sections,
        "diff": diff,
    }


def _public(value):
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if k not in PRIVATE_KEYS}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value


def render_json(report: dict) -> str:
    return json.dumps(_public(report), sort_keys=True, ensure_ascii=False, indent=1) + "\n"


# -- Markdown ------------------------------------------------------------------------------------

def _n(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _took_part(p: dict) -> str:
    return (f"{_n(p['stakeholders'], 'stakeholder')} took part: {_n(p['commenters'], 'commenter')} wrote "
            f"{_n(p['comments'], 'comment')}, {_n(p['voters'], 'voter')} cast {_n(p['votes'], 'vote')}.")


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or "—"


def _ids(ids: Iterable[int], limit: int | None = ID_LIMIT) -> str:
    ids = list(ids)
    shown = ids if limit is None else ids[:limit]
    text = ", ".join(f"#{i}" for i in shown)
    if len(ids) > len(shown):
        text += f" and {len(ids) - len(shown):,} more"
    return text


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines() or [""])


def _participation_md(p: dict) -> list[str]:
    lines = [_took_part(p), ""]
    if p["by_group"]:
        lines += ["| Group | Stakeholders | Commenters | Comments | Voters | Votes |", "|---|---:|---:|---:|---:|---:|"]
        for slug, g in p["by_group"].items():
            lines.append(f"| {_cell(slug)} | {g['stakeholders']:,} | {g['commenters']:,} | {g['comments']:,} | {g['voters']:,} | {g['votes']:,} |")
        lines.append("")
    return lines


def _counts_md(counts: dict) -> str:
    return ", ".join(f"{n:,} {key}" for key, n in counts.items() if n) or "none"


def _section_md(s: dict) -> list[str]:
    anchor = s["anchor"]
    out = [f"## {s['heading']}" + (f" (`#{anchor}`)" if anchor else ""), ""]
    if s.get("markdown"):
        out += [_quote(s["markdown"]), ""]
    p, t = s["participation"], s["tally"]
    out.append(f"**Tally: {STATUS_LABELS.get(t['status'], t['status'])}** — {t['needed']}. "
               f"Votes: {_counts_md(t['counts'])}.")
    out.append("")
    if not p["comments"] and not p["voters"]:
        out += ["No comments or votes.", ""]
        return out
    if t["by_group"]:
        out += ["| Group | Support | Oppose | Abstain | Block | Support ratio |", "|---|---:|---:|---:|---:|---:|"]
        for slug, g in t["by_group"].items():
            c = g["counts"]
            ratio = "—" if g["support_ratio"] is None else f"{round(g['support_ratio'] * 100)}%"
            out.append(f"| {_cell(slug)} | {c['support']:,} | {c['oppose']:,} | {c['abstain']:,} | {c['block']:,} | {ratio} |")
        out.append("")
    out += ["### Participation", ""] + _participation_md(p)
    out += ["### Stances", "", _counts_md(s["stances"]) + ".", ""]
    if s["themes"]:
        out += ["### Themes", ""]
        for i, theme in enumerate(s["themes"], 1):
            out.append(f"{i}. **{theme['label']}** — {len(theme['comment_ids']):,} comments; keywords: "
                       f"{', '.join(theme['keywords'])}; representative comment #{theme['representative_comment_id']}; "
                       f"comments {_ids(theme['comment_ids'])}")
        out.append("")
    if s["duplicate_groups"]:
        out += ["### Duplicate groups", ""]
        for group in s["duplicate_groups"]:
            out.append(f"- {group['size']:,} copies of comment #{group['exemplar_comment_id']}: {_ids(group['comment_ids'])}")
        out.append("")
    if s["suggestions"]:
        out += ["### Suggested rewordings", ""]
        for i, suggestion in enumerate(s["suggestions"], 1):
            n = len(suggestion["comment_ids"])
            out += [f"{i}. Proposed in {n:,} comment{'s' if n != 1 else ''}: {_ids(suggestion['comment_ids'])}", "",
                    _quote(suggestion["redline"]), ""]
    out += ["### Dispositions", "", "| Disposition | Response | Comments |", "|---|---|---|"]
    for row in s["dispositions"]:
        out.append(f"| {DISPOSITION_LABELS.get(row['disposition'], row['disposition'])} | {_cell(row['response'])} | "
                   f"{_ids(row['comment_ids'], None)} |")
    out.append("")
    return out


def render_markdown(report: dict) -> str:
    r, v = report["round"], report["version"]
    out = [f"# Round {r['number']} report: {r['title']}", "",
           f"{r['definition_title']} (`{r['definition']}`), version {v['label']}. "
           f"Rule: quorum {r['rule']['quorum']}, threshold {r['rule']['threshold']}"
           f"{', blocks prevent consensus' if r['rule']['blocks_prevent_consensus'] else ''}"
           f"{', every group must reach it' if r['rule']['require_every_group'] else ''}.", "",
           f"Input fingerprint: `{report['input_fingerprint']}`", "",
           "## Participation", ""]
    out += _participation_md(report["participation"])
    out += [f"Stances: {_counts_md(report['stances'])}.", "",
            f"Votes: {_counts_md(report['positions'])}.", "",
            "Dispositions: " + _counts_md({DISPOSITION_LABELS[k].lower(): n for k, n in report["dispositions"].items()}) + ".", ""]
    for section in report["clauses"]:
        out += _section_md(section)
    diff = report["diff"]
    if diff:
        st = diff["stats"]
        out += [f"## Changes from {diff['from']} to {diff['to']}", "",
                f"{st['modified']} modified, {st['added']} added, {st['removed']} removed, {st['moved']} moved.", ""]
        for clause in diff["clauses"]:
            where = clause["to_anchor"] or clause["from_anchor"]
            basis = (f"accepted or partially accepted comments: {_ids(clause['comment_ids'])}"
                     if clause["comment_ids"] else "no accepted comment on this clause")
            out += [f"### `#{where}` ({clause['op']}) — {basis}", "", _quote(clause["redline"]), ""]
    return "\n".join(out).rstrip() + "\n"


# -- HTML ----------------------------------------------------------------------------------------

E = html.escape
CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330;line-height:1.5}
table.data{border-collapse:collapse;margin:.5rem 0}table.data th,table.data td{border:1px solid #d5dae3;padding:.2rem .5rem;text-align:left;vertical-align:top}
.num{text-align:right}.muted{color:#5d6678}.badge{display:inline-block;border-radius:999px;padding:0 .55rem;font-size:.8rem;border:1px solid #d5dae3}
.bar{display:inline-flex;height:.7rem;width:12rem;border-radius:3px;overflow:hidden;background:#f2f4f8;border:1px solid #d5dae3;vertical-align:middle}
.bar .support{background:#2f8f4e}.bar .oppose{background:#c2473f}.bar .abstain{background:#a0a8b5}.bar .block{background:#4b1d6b}
.bar .concern{background:#c98a00}.bar .question{background:#3b6fc4}.bar .neutral{background:#a0a8b5}
ins{background:#dff5e3;text-decoration:underline}del{background:#fde2e1;text-decoration:line-through}
.wb-diff-clause,.redline{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.9rem}
blockquote{border-left:3px solid #d5dae3;margin:.3rem 0;padding-left:.8rem;color:#5d6678}
"""


def _ids_html(ids, limit: int | None = ID_LIMIT) -> str:
    return E(_ids(ids, limit))


def _bar(counts: dict, keys: Iterable[str], cls: str = "") -> str:
    total = sum(counts.get(k, 0) for k in keys)
    spans = []
    if total:
        for key in keys:
            n = counts.get(key, 0)
            if n:
                pct = f"{100 * n / total:.1f}".rstrip("0").rstrip(".")
                spans.append(f'<span class="{key}" style="width:{pct}%" title="{n:,} {key}"></span>')
    return f'<span class="bar{(" " + cls) if cls else ""}" aria-hidden="true">{"".join(spans)}</span>'


def _participation_html(p: dict) -> str:
    rows = "".join(
        f"<tr><td>{E(slug)}</td><td class=num>{g['stakeholders']:,}</td><td class=num>{g['commenters']:,}</td>"
        f"<td class=num>{g['comments']:,}</td><td class=num>{g['voters']:,}</td><td class=num>{g['votes']:,}</td></tr>"
        for slug, g in p["by_group"].items()
    )
    table = ('<table class="data participation"><thead><tr><th>Group</th><th class=num>Stakeholders</th>'
             "<th class=num>Commenters</th><th class=num>Comments</th><th class=num>Voters</th><th class=num>Votes</th>"
             f"</tr></thead><tbody>{rows}</tbody></table>") if rows else ""
    return f"<p>{E(_took_part(p))}</p>{table}"


def _tally_html(t: dict) -> str:
    positions = Position.values
    groups = "".join(
        f"<tr><td>{E(slug)}</td><td>{_bar(g['counts'], positions, 'vote-bar')}</td>"
        + "".join(f"<td class=num>{g['counts'][k]:,}</td>" for k in positions)
        + f"<td class=num>{'—' if g['support_ratio'] is None else str(round(g['support_ratio'] * 100)) + '%'}</td></tr>"
        for slug, g in t["by_group"].items()
    )
    table = ('<table class="data tally-groups"><thead><tr><th>Group</th><th>Split</th><th class=num>Support</th>'
             "<th class=num>Oppose</th><th class=num>Abstain</th><th class=num>Block</th><th class=num>Support ratio</th>"
             f"</tr></thead><tbody>{groups}</tbody></table>") if groups else ""
    return (f'<p class="tally"><span class="badge vote-status {E(t["status"])}">{E(STATUS_LABELS.get(t["status"], t["status"]))}</span> '
            f"{_bar(t['counts'], positions, 'vote-bar')} {E(t['needed'])}. "
            f'<span class="muted">Votes: {E(_counts_md(t["counts"]))}.</span></p>{table}')


def _section_html(s: dict, round_id: int) -> str:
    anchor = s["anchor"]
    thread = f"/rounds/{round_id}/thread/{E(anchor)}/" if anchor else f"/rounds/{round_id}/thread/"
    dom_id = f"report-{anchor}" if anchor else "report-whole"
    out = [f'<section class="report-section card" id="{E(dom_id)}" data-anchor="{E(anchor or "")}">',
           f'<h2>{E(s["heading"])}' + (f' <code>#{E(anchor)}</code>' if anchor else "")
           + f' <a class="small-print" href="{thread}">comments</a></h2>']
    if s.get("markdown"):
        out.append(f"<blockquote class=\"clause-source\">{E(s['markdown'])}</blockquote>")
    p, t = s["participation"], s["tally"]
    out.append(_tally_html(t))
    if not p["comments"] and not p["voters"]:
        out.append('<p class="muted">No comments or votes.</p></section>')
        return "".join(out)
    out.append("<h3>Participation</h3>" + _participation_html(p))
    out.append(f"<h3>Stances</h3><p>{_bar(s['stances'], Stance.values, 'stance-bar')} {E(_counts_md(s['stances']))}.</p>")
    if s["themes"]:
        items = "".join(
            f"<li><strong>{E(th['label'])}</strong> — {len(th['comment_ids']):,} comments; keywords: "
            f"{E(', '.join(th['keywords']))}; representative comment "
            f"<a href=\"{thread}#c{th['representative_comment_id']}\">#{th['representative_comment_id']}</a>; "
            f"<span class=muted>comments {_ids_html(th['comment_ids'])}</span></li>"
            for th in s["themes"]
        )
        out.append(f'<h3>Themes</h3><ol class="themes">{items}</ol>')
    if s["duplicate_groups"]:
        items = "".join(
            f"<li>{g['size']:,} copies of comment <a href=\"{thread}#c{g['exemplar_comment_id']}\">#{g['exemplar_comment_id']}</a>: "
            f"<span class=muted>{_ids_html(g['comment_ids'])}</span></li>"
            for g in s["duplicate_groups"]
        )
        out.append(f'<h3>Duplicate groups</h3><ul class="duplicate-groups">{items}</ul>')
    if s["suggestions"]:
        items = "".join(
            f"<li><p>Proposed in {len(sg['comment_ids']):,} comment{'s' if len(sg['comment_ids']) != 1 else ''}: "
            f"<span class=muted>{_ids_html(sg['comment_ids'])}</span></p><div class=\"redline\">{sg['redline_html']}</div></li>"
            for sg in s["suggestions"]
        )
        out.append(f'<h3>Suggested rewordings</h3><ol class="suggestions">{items}</ol>')
    rows = "".join(
        f"<tr><td><span class=\"badge disposition {E(row['disposition'])}\">{E(DISPOSITION_LABELS.get(row['disposition'], row['disposition']))}</span></td>"
        f"<td>{E(row['response'])}</td><td>{len(row['comment_ids']):,}: {_ids_html(row['comment_ids'], None)}</td></tr>"
        for row in s["dispositions"]
    )
    out.append('<details class="dispositions" open><summary>Dispositions</summary><table class="data">'
               f"<thead><tr><th>Disposition</th><th>Response</th><th>Comments</th></tr></thead><tbody>{rows}</tbody></table></details>")
    out.append("</section>")
    return "".join(out)


def render_html(report: dict) -> str:
    r, v = report["round"], report["version"]
    title = f"Round {r['number']} report: {r['title']}"
    body = [f'<article class="wb-report" data-round="{r["id"]}" data-fingerprint="{E(report["input_fingerprint"])}">',
            f"<h1>{E(title)}</h1>",
            f"<p class=\"lead\">{E(r['definition_title'])}, version {E(v['label'])}. Rule: quorum {r['rule']['quorum']}, "
            f"threshold {E(str(r['rule']['threshold']))}.</p>",
            f'<p class="muted small-print">Input fingerprint <code>{E(report["input_fingerprint"])}</code></p>',
            '<section class="report-overview card"><h2>Participation</h2>', _participation_html(report["participation"]),
            f"<p>Stances: {_bar(report['stances'], Stance.values, 'stance-bar')} {E(_counts_md(report['stances']))}.</p>",
            f"<p>Votes: {_bar(report['positions'], Position.values, 'vote-bar')} {E(_counts_md(report['positions']))}.</p>",
            "<p>Dispositions: " + E(_counts_md({DISPOSITION_LABELS[k].lower(): n for k, n in report["dispositions"].items()})) + ".</p>",
            "</section>"]
    body += [_section_html(section, r["id"]) for section in report["clauses"]]
    diff = report["diff"]
    if diff:
        st = diff["stats"]
        items = []
        for clause in diff["clauses"]:
            ids = clause["comment_ids"]
            basis = (f"Accepted or partially accepted comments: {_ids_html(ids)}" if ids
                     else '<span class="muted">No accepted comment on this clause.</span>')
            items.append(f"<li><p>{basis}</p>{clause['redline_html']}</li>")
        body.append(f'<section class="report-diff card" id="report-diff"><h2>Changes from {E(diff["from"])} to {E(diff["to"])}</h2>'
                    f"<p>{st['modified']} modified, {st['added']} added, {st['removed']} removed, {st['moved']} moved.</p>"
                    f'<ul class="diff-links">{"".join(items)}</ul></section>')
    body.append("</article>")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{E(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def html_fragment(document: str) -> str:
    """The report's ``<article>`` out of the stored HTML document, for showing inside a page."""
    start = document.find('<article class="wb-report"')
    end = document.rfind("</article>")
    if start < 0 or end < 0:
        return ""
    return document[start:end + len("</article>")]

