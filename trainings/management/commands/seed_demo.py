"""Load the demo data set and the demo users, once; print the demo logins every time."""

from django.core.management.base import BaseCommand, CommandError

from trainings.demo import DEMO_PREFIX, SIGN_IN_URL, DemoError, demo_seed


class Command(BaseCommand):
    help = (
        "Load a realistic demo data set (courses, sessions, participants, attendance, scores) "
        "and one demo user per role, unless they are there already; print the demo logins. "
        "For demonstrations only: the passwords are public."
    )

    def handle(self, *args, **options) -> None:
        try:
            result = demo_seed()
        except DemoError as error:
            raise CommandError(str(error)) from error
        if result.created:
            counts = ", ".join(f"{n} {what}" for what, n in result.created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {counts}."))
        else:
            self.stdout.write(
                f"Demo data already present ({result.existing_sessions} sessions with codes "
                f"{DEMO_PREFIX}...): nothing created."
            )
        for login in result.logins:
            if login.created and not result.created:
                self.stdout.write(f"Created the missing demo user {login.user.username}.")
        width = max(len(login.user.username) for login in result.logins)
        self.stdout.write("")
        self.stdout.write("Demo logins (for the demo only: anyone can read these passwords):")
        for login in result.logins:
            demo = login.user
            password = demo.password if login.password_works else "(changed since the demo set it)"
            self.stdout.write(f"  {demo.username:<{width}}  /  {password:<16}  {demo.role}")
        self.stdout.write(f"Sign in at {SIGN_IN_URL}")
