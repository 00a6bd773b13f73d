"""Workbench's text engine, in pure Python (no Django): Markdown versions split into clauses and
rendered back byte for byte (`markdown`), clause anchors (`anchors`), safe HTML (`html`).
Alignment and redline diffs between versions live in sibling modules, imported on their own."""
from .anchors import assign_anchors, slugify
from .html import is_safe_url, render_comment_html, render_html
from .markdown import Clause, Document, Piece, parse, render, split_lines

__all__ = [
    "Clause",
    "Document",
    "Piece",
    "assign_anchors",
    "is_safe_url",
    "parse",
    "render",
    "render_comment_html",
    "render_html",
    "slugify",
    "split_lines",
]
