"""What the tests share beyond fixtures: one home for each piece of harness.

- polling: wait (bounded) until a condition holds, never a fixed sleep.
- processes: ports, temp dirs, process groups, and real `python -m mutiroes ...` processes (ManagedProcess,
  WorkerProcess), with the environment and database URL they are given.
- clocks: the domain clock (mutiroes.core.clock.now) and the breakers' monotonic clock, frozen and moved.
- brokers: the process's stub broker as a worker process sets it up, and a real worker to run what it holds.
- seeds: the rows the data migrations seed, written again after a transactional test flushed them.
- http: the JSON error shape every endpoint answers with.

Fixtures built on these live in tests/conftest.py; the real servers (PostgreSQL, Redis, SMTP) in tests/servers.
"""
