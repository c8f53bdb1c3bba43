"""Background jobs, in one place.

- ``registry.py``: every job's name, queue, time limit and retry policy (``policy.py``); ``actor.py`` declares an
  actor from its line; ``outbox.py``: how any app asks for a job, in the transaction of the change (OutboxMessage);
- ``actors/``: the actors, one module per domain, each calling one domain service;
- ``worker.py``: the worker's middleware (``middleware/``), assembled once for ``mutiroes worker`` (``boot.py``) and
  for the in-process worker of ``mutiroes dev``;
- ``ledger.py``, ``models.py``: the run ledger of scheduled jobs (JobRun), and ``services.py``, what staff can ask
  of it (run a job now, see the jobs and their runs);
- the schedule itself, and the process that fires it, are in ``mutiroes.scheduler``.

The registry, the outbox and the ledger sit below the domain apps (they ask for jobs); the actors, the worker and
the admin services above them (they run jobs): the layers in pyproject.toml's ``[tool.importlinter]``.
"""
