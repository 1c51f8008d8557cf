"""Fixtures the CLI tests share with the tests of what each command drives (imported from there)."""

from tests.engine.conftest import generated_file  # noqa: F401
from tests.engine.data.test_mapping import crm_file, mapping_file  # noqa: F401
from tests.slack.digest.conftest import digest_settings  # noqa: F401
from tests.slack.subcommands.test_export import k3_context, trained_k3  # noqa: F401
