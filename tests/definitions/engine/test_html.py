"""Safe HTML: hostile Markdown renders inert; clauses render as they read in the whole document."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from definitions.engine.html import is_safe_url, render_comment_html, render_html
from definitions.engine.markdown import parse

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "em", "strong", "s", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "div", "sup",
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_inert(html: str) -> None:
    for tag, attributes in elements(html):
        assert tag in ALLOWED_TAGS, f"<{tag}> in {html!r}"
        for name, value in attributes.items():
            assert not name.startswith("on"), f"{name} on <{tag}> in {html!r}"
            if name in ("href", "src"):
                scheme = (value or "").split(":", 1)[0].lower() if ":" in (value or "") else ""
                assert "/" in scheme or scheme in ("", "http", "https", "mailto", "ftp"), f"{name}={value!r}"
    assert "<script" not in html.lower() and "javascript:" not in "".join(
        str(value) for _, attributes in elements(html) for value in attributes.values()
    ).lower()


HOSTILE = {
    "script-tag": "<script>alert(1)</script>",
    "img-onerror": '<img src="x" onerror="alert(1)">',
    "svg-onload": "Text <svg onload=alert(1)> inline",
    "iframe-block": '<iframe src="https://evil.example/"></iframe>',
    "style-block": "<style>body { display: none }</style>",
    "raw-anchor": '<a href="javascript:alert(1)">click</a>',
    "javascript-link": "[click](javascript:alert(1))",
    "mixed-case-scheme": "[click](JaVaScRiPt:alert(1))",
    "entity-encoded-scheme": "[click](&#106;avascript&#58;alert(1))",
    "javascript-autolink": "<javascript:alert(1)>",
    "javascript-reference": "[click][evil]\n\n[evil]: javascript:alert(1)",
    "javascript-image": "![x](javascript:alert(1))",
    "vbscript-link": "[x](vbscript:msgbox(1))",
    "data-html-link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data-image": "![x](data:image/png;base64,iVBORw0KGgo=)",
    "file-link": "[x](file:///etc/passwd)",
    "title-breakout": '[x](https://ok.example "a\\" onmouseover=\\"alert(1))',
    "fence-info-breakout": '```"><script>alert(1)</script>\ncode\n```',
    "footnote-label-breakout": '[^"><b>]\n\n[^"><b>]: note',
    "html-in-table": "| <script>alert(1)</script> |\n|---|\n| <img src=x onerror=alert(1)> |",
    "html-in-heading": "# <img src=x onerror=alert(1)> {#h}",
}


@pytest.mark.parametrize("markdown", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("renderer", [render_html, render_comment_html], ids=["clause", "comment"])
def test_hostile_markdown_renders_inert(renderer, markdown):
    assert_inert(renderer(markdown))


def test_raw_html_is_shown_as_text():
    assert render_html("<b>bold?</b> <script>alert(1)</script>") == (
        "<p>&lt;b&gt;bold?&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )


def test_unsafe_links_are_not_links():
    for markdown in ("[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "<javascript:alert(1)>", "[x](data:text/html,hi)"):
        assert not any(tag == "a" for tag, _ in elements(render_html(markdown))), markdown


def test_safe_links_autolinks_and_relative_links_are_kept():
    html = render_html('[rel](/definitions/x "Title") [frag](#scope) [mail](mailto:a@example.org) <https://example.org/a>')
    assert [attributes["href"] for tag, attributes in elements(html) if tag == "a"] == [
        "/definitions/x", "#scope", "mailto:a@example.org", "https://example.org/a",
    ]


def test_is_safe_url_reads_the_scheme_as_a_browser_would():
    assert is_safe_url("https://example.org") and is_safe_url("/relative") and is_safe_url("page#x")
    assert not is_safe_url("javascript:alert(1)")
    assert not is_safe_url(" \x01JavaScript:alert(1)")
    assert not is_safe_url("java\tscript:alert(1)")
    assert not is_safe_url("data:image/png;base64,AAAA")
    assert not is_safe_url("vbscript:x") and not is_safe_url("file:///etc/passwd")


def test_tables_strikethrough_and_code_render():
    html = render_html("| a | b |\n|:--|--:|\n| 1 | ~~2~~ |\n")
    assert '<th style="text-align:left">a</th>' in html and '<td style="text-align:right"><s>2</s></td>' in html
    assert render_html("```python\nx < 1\n```\n") == '<pre><code class="language-python">x &lt; 1\n</code></pre>\n'


def test_heading_anchor_is_not_shown():
    assert render_html("## Scope {#scope}\n") == "<h2>Scope</h2>\n"
    assert render_html("Scope {#scope}\n===\n") == "<h1>Scope</h1>\n"


def test_footnote_definition_renders_alone_and_references_link_to_it():
    definition = render_html("[^why]: Because it matters.\n")
    assert ("div", {"class": "footnote", "id": "fn-why"}) in elements(definition)
    assert "Because it matters." in definition
    reference = render_html("Open.[^why]\n")
    assert [attributes["href"] for tag, attributes in elements(reference) if tag == "a"] == ["#fn-why"]


def test_nested_list_item_clause_renders_as_an_item_not_as_code():
    doc = parse("- parent\n    - nested item\n      continued\n")
    nested = doc.clauses[1]
    assert nested.source.startswith("    - ")
    assert render_html(nested.source, kind=nested.kind) == "<ul>\n<li>nested item\ncontinued</li>\n</ul>\n"
    assert render_html(nested.source) == render_html(nested.source, kind="list_item")


def test_nested_item_with_tabs_keeps_its_shape_after_dedent():
    doc = parse("1. parent\n\t- nested\n\n\t  second paragraph\n")
    nested = doc.clauses[1]
    html = render_html(nested.source, kind="list_item")
    assert html == "<ul>\n<li>\n<p>nested</p>\n<p>second paragraph</p>\n</li>\n</ul>\n"


def test_indented_code_clause_stays_code_when_its_kind_is_given():
    assert render_html("    - not a list\n", kind="code") == "<pre><code>- not a list\n</code></pre>\n"


def test_references_from_elsewhere_in_the_document_resolve():
    doc = parse("# T\n\nSee [the charter][charter].\n\n[charter]: https://example.org/charter \"Charter\"\n")
    html = render_html(doc.clauses[1].source, references=doc.references)
    assert ("a", {"href": "https://example.org/charter", "title": "Charter", "rel": "noopener noreferrer"}) in elements(html)
    assert "[the charter]" in render_html(doc.clauses[1].source)


def test_unsafe_references_passed_in_are_dropped():
    html = render_html("[click][evil] [ok]", references={"evil": {"href": "javascript:alert(1)"}, "OK": "https://ok.example"})
    assert [attributes["href"] for tag, attributes in elements(html) if tag == "a"] == ["https://ok.example"]


def test_comment_links_are_nofollow_ugc():
    html = render_comment_html("[site](https://example.org) and <https://example.org/b>")
    rels = [attributes.get("rel") for tag, attributes in elements(html) if tag == "a"]
    assert rels == ["nofollow ugc noopener", "nofollow ugc noopener"]


def test_comment_images_become_links_and_are_never_loaded():
    html = render_comment_html("![a chart](https://example.org/chart.png)")
    assert not any(tag == "img" for tag, _ in elements(html))
    assert html == '<p><a href="https://example.org/chart.png" rel="nofollow ugc noopener">a chart</a></p>\n'


def test_clause_images_with_safe_sources_are_kept():
    html = render_html("![diagram](https://example.org/d.png)")
    assert ("img", {"src": "https://example.org/d.png", "alt": "diagram"}) in elements(html)


def test_whole_document_renders_without_its_front_matter():
    html = render_html("---\ntitle: Secret draft title\n---\n# Title\n")
    assert "Secret draft title" not in html and "<h1>Title</h1>" in html
