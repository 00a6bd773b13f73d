"""Consolidation job tasks."""
