"""``python -m mutiroes.infra.dramatiq_cli``: Dramatiq's command line with the app's logging from the first line.

Dramatiq's main process would log in its own format (``basicConfig``) before any worker process loads Django; with
the app's LOGGING configured first, its lines (boot, worker restarts, shutdown) are JSON like the rest, and the
forked worker processes inherit the same handlers until ``django.setup()`` configures them again.
"""

import logging.config
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutiroes.config.settings")
    from django.conf import settings
    from dramatiq.cli import main as dramatiq_main

    logging.config.dictConfig(settings.LOGGING)
    sys.exit(dramatiq_main())


if __name__ == "__main__":
    main()
