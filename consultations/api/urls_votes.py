"""API routes for votes and tallies (mounted under /api/)."""
from django.urls import path

from . import votes

urlpatterns = [
    path("rounds/<int:pk>/votes/", votes.RoundVotesView.as_view(), name="api-round-votes"),
    path("rounds/<int:pk>/votes/import/", votes.RoundVoteImportView.as_view(), name="api-round-votes-import"),
    path("rounds/<int:pk>/votes/history/", votes.RoundVoteHistoryView.as_view(), name="api-round-votes-history"),
    path("rounds/<int:pk>/tally/", votes.RoundTallyView.as_view(), name="api-round-tally"),
]
