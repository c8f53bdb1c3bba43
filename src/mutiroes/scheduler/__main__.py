"""``python -m mutiroes.scheduler``: the same as ``mutiroes scheduler``."""

import os

from mutiroes.scheduler.process import main

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutiroes.config.settings")
main()
