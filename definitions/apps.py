"""Definitions: versions in Markdown, split into clauses with stable anchors."""
from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "definitions"
    default_auto_field = "django.db.models.BigAutoField"
