"""API routes of the consultations app, one module per area."""
from .urls_rounds import urlpatterns as round_urls
from .urls_votes import urlpatterns as vote_urls
from .urls_jobs import urlpatterns as job_urls

urlpatterns = [*round_urls, *vote_urls, *job_urls]
