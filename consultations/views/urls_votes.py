"""Pages for votes (app "consultations", mounted at /)."""
from django.urls import path

from . import votes

urlpatterns = [
    path("rounds/<int:pk>/vote/", votes.vote, name="vote"),
    path("rounds/<int:pk>/results/", votes.results, name="results"),
]
