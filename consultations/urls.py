"""Pages of the consultations app, one module of routes per area."""
from .views.urls_rounds import urlpatterns as round_urls
from .views.urls_votes import urlpatterns as vote_urls
from .views.urls_reports import urlpatterns as report_urls

app_name = "consultations"
urlpatterns = [*round_urls, *vote_urls, *report_urls]
