"""API routes for rounds and comments (mounted under /api/)."""
from django.urls import path

from . import comments, rounds

urlpatterns = [
    path("rounds/", rounds.RoundListView.as_view(), name="api-rounds"),
    path("rounds/<int:pk>/", rounds.RoundDetailView.as_view(), name="api-round"),
    path("rounds/<int:pk>/open/", rounds.RoundOpenView.as_view(), name="api-round-open"),
    path("rounds/<int:pk>/close/", rounds.RoundCloseView.as_view(), name="api-round-close"),
    path("rounds/<int:pk>/comments/", comments.RoundCommentListView.as_view(), name="api-round-comments"),
    path("rounds/<int:pk>/comments/import/", rounds.RoundCommentImportView.as_view(), name="api-round-comments-import"),
    path("rounds/<int:pk>/dispositions/", rounds.RoundBulkDispositionView.as_view(), name="api-round-dispositions"),
    path("rounds/<int:pk>/export.csv", rounds.RoundExportCSVView.as_view(), name="api-round-export-csv"),
    path("rounds/<int:pk>/export.json", rounds.RoundExportJSONView.as_view(), name="api-round-export-json"),
    path("comments/<int:pk>/", comments.CommentDetailView.as_view(), name="api-comment"),
    path("comments/<int:pk>/report/", comments.CommentReportView.as_view(), name="api-comment-report"),
    path("comments/<int:pk>/disposition/", comments.CommentDispositionView.as_view(), name="api-comment-disposition"),
    path("comments/<int:pk>/hide/", comments.CommentHideView.as_view(), name="api-comment-hide"),
    path("comments/<int:pk>/restore/", comments.CommentRestoreView.as_view(), name="api-comment-restore"),
]
