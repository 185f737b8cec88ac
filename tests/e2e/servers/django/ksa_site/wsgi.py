"""WSGI entry point (runserver serves it in the tests)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ksa_site.settings")
application = get_wsgi_application()
