"""The app page, the keepalive endpoint, and the tests' own endpoints."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from .middleware import COUNTS, _lock


@login_required
@ensure_csrf_cookie
def app(request):
    """The signed-in page: it runs the keeper, told the server's timeout."""
    return render(request, "app.html", {"session_timeout_ms": settings.SESSION_COOKIE_AGE * 1000})


@require_POST
@login_required
def keepalive(request):
    """Touching the session is all it does: SESSION_SAVE_EVERY_REQUEST slides it.
    Without a session, login_required answers 302 to LOGIN_URL."""
    return HttpResponse(status=204)


@require_GET
def test_state(request):
    """Request counts and the sessions alive in the store (not expired)."""
    live = Session.objects.filter(expire_date__gt=timezone.now())
    users = [s.get_decoded().get("_auth_user_id") for s in live]
    with _lock:
        counts = dict(COUNTS)
    return JsonResponse({"requests": counts, "sessions": len(users), "signedIn": sum(1 for u in users if u)})


@csrf_exempt
@require_POST
def test_drop_sessions(request):
    """The server forgets every session, as a store flush or a restart on
    in-memory sessions would."""
    deleted, _ = Session.objects.all().delete()
    return HttpResponse(json.dumps({"deleted": deleted}), content_type="application/json")
