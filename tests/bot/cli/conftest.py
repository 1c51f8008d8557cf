"""Fixtures the CLI tests share with the tests of what each command drives (imported from there)."""

from tests.bot.digest.conftest import digest_settings  # noqa: F401
from tests.bot.views.test_export import k3_context, trained_k3  # noqa: F401
from tests.segmentation.conftest import generated_file  # noqa: F401
from tests.segmentation.test_mapping import crm_file, mapping_file  # noqa: F401
