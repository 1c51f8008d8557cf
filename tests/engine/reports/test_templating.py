"""The template sandbox's resource limits (the rest is covered with the playbooks)."""

from __future__ import annotations

import pytest

from smartcart.engine.reports.templating import TemplateProblem, Templates


@pytest.mark.parametrize(
    "source",
    ["{{ 'a' * 10**9 }}", "{{ [0] * 10**7 }}", "{{ 10 * 'ab' * 10**6 }}", "{{ 2 ** 100000 }}"],
)
def test_templates_cannot_exhaust_memory_or_cpu(tmp_path, source):
    (tmp_path / "greedy.md.j2").write_text(source)
    with pytest.raises(TemplateProblem, match="greedy.md.j2:1: SecurityError"):
        Templates(tmp_path).render("greedy.md.j2")


def test_ordinary_arithmetic_still_works(tmp_path):
    (tmp_path / "fine.md.j2").write_text("{{ '-' * 20 }} {{ 2 ** 10 }} {{ 0.5 * 4 }}")
    assert Templates(tmp_path).render("fine.md.j2") == "-" * 20 + " 1024 2.0"
