"""The reference's Celery app: `celery -A bench.reference.celery_app worker --pool threads --concurrency 4`."""

import os

import django
from celery import Celery

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.reference.settings"
django.setup()

app = Celery("reference")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["bench.reference"])
