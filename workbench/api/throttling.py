"""Per-user write throttle (WORKBENCH_THROTTLE_WRITES, e.g. ``120/min``; ``off`` disables it).

Reads are never throttled: a consultation's readers should not be turned away."""
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class WriteRateThrottle(SimpleRateThrottle):
    scope = "writes"

    def get_rate(self):
        return settings.THROTTLE_WRITES or None

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS or not settings.THROTTLE_WRITES:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
