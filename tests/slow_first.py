"""The tests marked ``slow`` run first (a pytest plugin, see tests/conftest.py).

pytest-xdist's work stealing hands each worker half of the tests in their order and
lets a worker that runs out take half of another's queue from its end: a run ends well
when the end of each queue is short tests, not a smoke test of several seconds alone
on one worker while the other waits. The order within each group is the collection's,
so that a module's tests stay together (and its fixtures are built once)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the tests marked ``slow`` to the front, keeping both groups' order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
