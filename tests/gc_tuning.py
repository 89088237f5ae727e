"""The garbage collector tuned for the test run (a pytest plugin, see tests/conftest.py).

With Python's default thresholds the collector ran some 7,000 times in a third of the
suite and took 16 % of its time, most of it walking again and again through the objects
every test shares: the modules imported by the collection (pandas, matplotlib, Qt,
SQLAlchemy and the app). After the collection those are moved out of the collector's
sight (``gc.freeze``), and the young generation is collected every 20,000 allocations
instead of every 700: the same tests, about a sixth less time. Objects in reference
cycles are still collected, only in larger batches; nothing the tests check depends on
when (none uses weak references or ``gc``)."""

from __future__ import annotations

import gc

import pytest

# (young, middle, old): see gc.set_threshold.
THRESHOLDS = (20_000, 20, 20)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what the collection imported and raise the collector's thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
