"""Pages for rounds and comments (app "consultations", mounted at /)."""
from django.urls import path

from . import dashboard, rounds

urlpatterns = [
    path("facilitate/", dashboard.dashboard, name="dashboard"),
    path("facilitate/dispositions/", dashboard.bulk_dispositions, name="bulk-dispositions"),
    path("facilitate/import/", dashboard.import_comments, name="import-comments"),
    path("me/activity/", rounds.my_activity, name="my-activity"),
    path("rounds/new/", rounds.round_create, name="round-create"),
    path("rounds/<int:pk>/", rounds.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", rounds.round_edit, name="round-edit"),
    path("rounds/<int:pk>/state/", rounds.round_state, name="round-state"),
    path("rounds/<int:pk>/thread/", rounds.thread, name="thread-whole"),
    path("rounds/<int:pk>/thread/<str:anchor>/", rounds.thread, name="thread"),
    path("comments/<int:pk>/edit/", rounds.comment_edit, name="comment-edit"),
    path("comments/<int:pk>/withdraw/", rounds.comment_withdraw, name="comment-withdraw"),
    path("comments/<int:pk>/report/", rounds.comment_report, name="comment-report"),
    path("comments/<int:pk>/moderate/", rounds.comment_moderate, name="comment-moderate"),
    path("comments/<int:pk>/disposition/", rounds.comment_disposition, name="comment-disposition"),
]
