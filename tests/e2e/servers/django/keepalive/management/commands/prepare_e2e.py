"""Creates the tables and the test user (alice / wonderland) in one process."""

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "migrate, then create the end-to-end tests' user"

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not User.objects.filter(username="alice").exists():
            User.objects.create_user("alice", password="wonderland")
        self.stdout.write("prepared")
