"""The Home view's pieces: changes since the digest, schedules, Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartcart.engine.reports.figures import Figures
from smartcart.slack.blockkit import section
from smartcart.slack.digest.subscriptions import DigestSchedule
from smartcart.slack.home_tab import (
    ModelFacts,
    describe_change,
    home_view,
    message_view,
    schedule_line,
    validated_home,
)
from tests.support.slack_standin import invalid_view


def figures() -> Figures:
    segment = {
        "persona": "premium",
        "name": "High-Value Premium Customers",
        "size": 447,
        "share": 0.2,
        "revenue_share": 0.515,
    }
    return Figures(
        "v7", 2236, 0.15, [segment], ["family_budget", "digital_active", "moderate_loyal"]
    )


def test_changes_since_the_last_digest_read_like_a_marketer_says_them() -> None:
    assert describe_change(None) == "— (no digest yet)"
    assert describe_change({"size": 12, "share_points": 0.44, "period": "2024-W14"}) == (
        "+12 customers, +0.4 pts"
    )
    assert describe_change({"size": -1200, "share_points": -3.0}) == "-1,200 customers, -3.0 pts"
    assert describe_change({"size": 0, "share_points": 0.01, "period": "2024-W14"}) == (
        "no change since 2024-W14"
    )


def test_a_schedule_line_is_in_the_channels_time_zone() -> None:
    schedule = DigestSchedule(
        "C0DIGEST",
        datetime(2024, 4, 8, 7, 0, tzinfo=UTC),
        "Europe/Berlin",
        last_posted=datetime(2024, 4, 1, 7, 0, 30, tzinfo=UTC),
    )
    assert schedule_line(schedule) == (
        "• <#C0DIGEST>: next Mon 08 Apr 09:00 CEST (Europe/Berlin) · "
        "last posted Mon 01 Apr 09:00 CEST (Europe/Berlin)"
    )


def test_the_view_with_a_missing_persona_and_no_exports_is_valid() -> None:
    model = ModelFacts("v7", "27 Nov 2026 17:39 UTC", 2236)
    change = {"premium": {"size": 5, "share_points": 0.2, "period": "2024-W14"}}
    view = home_view(model, figures(), change, [], can_export=False)
    assert invalid_view(view, "home") == []
    text = str(view)
    assert "+5 customers, +0.2 pts" in text
    assert "No segment for this persona in the current model." in text
    assert "home_export" not in text and "/segment export" not in text


def test_user_text_in_the_view_is_escaped() -> None:
    view = message_view("SmartCart Segments", "No <!channel> & co")
    assert "No &lt;!channel&gt; &amp; co" in str(view)


def test_a_view_over_100_blocks_is_refused_before_slack_sees_it() -> None:
    with pytest.raises(ValueError, match="at most 100 blocks"):
        validated_home([section("x")] * 101)


def test_each_persona_shows_the_figures_behind_its_description() -> None:
    from dataclasses import replace

    from smartcart.engine.model import PERSONAS

    backed = replace(
        figures(),
        personas=tuple(PERSONAS),
        backing={"premium": ["spending 1,573 (all 606)", "income 78,519 (all 51,959)"]},
    )
    view = home_view(ModelFacts("v7", "now", 2236), backed, {}, [], can_export=False)
    assert invalid_view(view, "home") == []
    text = str(view)
    assert "High income, high spending, strong campaign response." in text
    assert "spending 1,573 (all 606); income 78,519 (all 51,959)" in text
