"""The periodic-job scheduler: a job table, a leader lock and a run ledger (one run per job and period)."""
