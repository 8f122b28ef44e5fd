"""The test suite. Helper modules that hold assertions get pytest's detailed messages too."""

import pytest

pytest.register_assert_rewrite("tests.routes", "tests.roster_checks", "tests.roster_page_checks")
