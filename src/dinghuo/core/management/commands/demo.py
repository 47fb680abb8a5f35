from django.core.management.base import BaseCommand, CommandError

from dinghuo.demo.loader import demo_exists, load_demo
from dinghuo.demo.logins import print_logins


class Command(BaseCommand):
    help = "Load the demo tenants (清泉饮料 and 精工工业配件) with staff, dealers and data, and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="wipe the whole database first (asks unless --yes)")
        parser.add_argument("--yes", action="store_true", help="do not ask before --reset")
        parser.add_argument("--seed", type=int, default=20261122)

    def handle(self, *args, reset=False, yes=False, seed=20261122, **options):
        from django.core.management import call_command

        if reset:
            if not yes and input("This deletes every row of the database. Type 'yes' to go on: ").strip() != "yes":
                raise CommandError("cancelled")
            call_command("flush", interactive=False, verbosity=0)
        if demo_exists():
            self.stdout.write("The demo tenants already exist; nothing to load (use --reset to start over).")
        else:
            load_demo(seed=seed, say=lambda s: self.stdout.write(f"  {s}"))
        print_logins(self.stdout)
