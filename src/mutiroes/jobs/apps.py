from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "mutiroes.jobs"
    # The label the run ledger had when it lived in the scheduler package: its table, migrations and admin URLs
    # (scheduler_jobrun, /admin/scheduler/jobrun/) stay as they were.
    label = "scheduler"
    verbose_name = "Jobs"
    default_auto_field = "django.db.models.BigAutoField"
