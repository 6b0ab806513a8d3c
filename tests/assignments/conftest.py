"""Reading assignments' tests use the lessons' fixture that submits a lesson."""

from tests.lessons.conftest import submit_lesson  # noqa: F401 (a fixture)
