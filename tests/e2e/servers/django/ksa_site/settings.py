"""A Django site as its users configure one for a sliding session timeout:
contrib.auth, database sessions (SQLite), CSRF protection on, and
SESSION_COOKIE_AGE + SESSION_SAVE_EVERY_REQUEST so that every request slides
the session. Only the values the tests vary come from the environment:

  KSA_DJANGO_DB          the SQLite file (each test run gets a fresh one)
  KSA_SESSION_SECONDS    SESSION_COOKIE_AGE (a few seconds in the tests)
  KSA_PKG_DIR            the built keep-session-alive package, served at /pkg/
  KSA_TEST_ENDPOINTS=1   the /test/ endpoints (request counts, dropping sessions)
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "e2e-only-django-secret-key-not-for-production-use-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "keepalive",
]

MIDDLEWARE = [
    "keepalive.middleware.RequestCounter",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "ksa_site.urls"
WSGI_APPLICATION = "ksa_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("KSA_DJANGO_DB", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Fast hashing: the tests sign in many times (Django's docs suggest it for tests).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The sliding timeout: the session (row and cookie) lives SESSION_COOKIE_AGE
# seconds after the last request, since every request saves it.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("KSA_SESSION_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True

# CSRF protection stays on: the csrftoken cookie is readable by the page
# (CSRF_COOKIE_HTTPONLY is False, the default), which sends it back in the
# X-CSRFToken header.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

USE_TZ = True
TIME_ZONE = "UTC"

PKG_DIR = os.environ.get("KSA_PKG_DIR", str(BASE_DIR.parent.parent.parent.parent / "pkg"))
TEST_ENDPOINTS = os.environ.get("KSA_TEST_ENDPOINTS") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
}
