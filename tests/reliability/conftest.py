"""The secrets scan reads what every other test left behind, so it runs last in the session."""

from __future__ import annotations

import pytest

LAST = "test_no_secret_in_any_log_or_database_the_tests_produced"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    last = [item for item in items if item.name == LAST]
    for item in last:
        items.remove(item)
    items.extend(last)
