"""Counts every request by method, path and status, for the tests (/test/state)."""

import threading

COUNTS = {}
_lock = threading.Lock()


class RequestCounter:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/test/"):
            key = f"{request.method} {request.path} {response.status_code}"
            with _lock:
                COUNTS[key] = COUNTS.get(key, 0) + 1
        return response
