"""Shared fixtures, one module per part of the system."""
pytest_plugins = [
    "tests.fixtures_site",
    "tests.fixtures_browser",
    "tests.fixtures_service",
    "tests.fixtures_moderation",
    "tests.fixtures_editors",
    "tests.fixtures_loop",
    "tests.fixtures_deploy",
    "tests.fixtures_forms",
    "tests.fixtures_faults",
    "tests.fixtures_sms",
]
