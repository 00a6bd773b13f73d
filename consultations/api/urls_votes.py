"""Routes (filled in by the area owner)."""
urlpatterns: list = []
