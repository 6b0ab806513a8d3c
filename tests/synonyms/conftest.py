"""Supervisors' groups live in the search text module for the whole process: none outlives its test."""

import pytest

from heatcases.search import text


@pytest.fixture(autouse=True)
def no_groups_left_behind():
    yield
    text.set_extra_synonym_groups(())
