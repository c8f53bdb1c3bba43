"""Racing calls: the same call from several threads released together, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def at_once(call: Callable[[], Any], times: int) -> list[Any]:
    """`call()` from `times` threads that start it together (a barrier); the results, in no particular order.

    Each thread closes its database connection at the end (Django opens one per thread). An exception in a
    thread is raised here once all have finished.
    """
    from django.db import connection

    barrier = threading.Barrier(times)
    results: list[Any] = []
    failures: list[Exception] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - raised in the test's thread below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results
