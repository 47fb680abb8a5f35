"""``dinghuo dispatch``: deliver outbox events to webhooks until stopped (SIGTERM/SIGINT)."""

import signal
import threading

from django.core.management.base import BaseCommand

from dinghuo.notify import dispatch


class Command(BaseCommand):
    help = "Deliver outbox events to webhook subscriptions (run by `dinghuo worker`)."

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=1.0, help="seconds to wait when there is nothing to do")
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args, poll: float, once: bool, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_a: stop.set())
        dispatch.run(stop=stop, poll=poll, once=once)
