"""Hypothesis settings shared by the fuzz tests: quick in ``make test``, long when asked.

Each fuzz test names its own example count, small enough that all of them together take
seconds. For a long run, select the ``soak`` profile with an environment variable:

    HYPOTHESIS_PROFILE=soak .venv/bin/python -m pytest -p no:cacheprovider -q tests/test_fuzz_*.py

Every fuzz test then runs ``SOAK_MULTIPLIER`` times its examples (50 unless
``HYPOTHESIS_SOAK_MULTIPLIER`` says otherwise), with no deadline and Hypothesis's report
of the failing example's blob for ``@reproduce_failure``. ``make test ARGS=...`` passes the
variable through as well.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "")
SOAK_MULTIPLIER = int(os.environ.get("HYPOTHESIS_SOAK_MULTIPLIER", "50"))
# Fixtures are set up once per test, not per example: the fuzz tests know and reset what they must.
QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("soak", max_examples=1000, deadline=None, print_blob=True, suppress_health_check=QUIET)
if PROFILE == "soak":
    settings.load_profile("soak")


def fuzz_settings(examples: int, **options) -> settings:
    """``examples`` examples (times SOAK_MULTIPLIER under the soak profile), no deadline."""
    if PROFILE == "soak":
        examples *= SOAK_MULTIPLIER
    return settings(max_examples=examples, deadline=None, suppress_health_check=QUIET, **options)
