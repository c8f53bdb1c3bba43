"""The periodic-job scheduler: the schedule (schedule.py), a leader lock, and firing against the run ledger
(mutiroes.jobs.ledger: one run per job and period)."""
