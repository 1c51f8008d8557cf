"""Campaigns: holdout groups, the campaign record, and readouts checked against hand figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartcart.engine.marketing.campaigns import (
    CampaignError,
    Targeting,
    Top,
    assign_groups,
    campaign_groups,
    get_campaign,
    list_campaigns,
    parse_holdout,
    parse_top,
    record_campaign,
    select_audience,
)
from smartcart.engine.marketing.readouts import (
    GroupResult,
    compare,
    read_responses,
    readout,
    save_responses,
    stored_responses,
)
from smartcart.engine.store.store import Store

# ----------------------------------------------------------------------------------------------
# The readout against a hand computation
#
# Target 200 customers, 30 responders (15%); control 100, 5 responders (5%).
# Pooled rate 35/300 = 0.116667; standard error sqrt(0.116667 * 0.883333 * (1/200 + 1/100))
# = 0.039317; z = 0.10 / 0.039317 = 2.5434; two-sided p = 2 * (1 - Phi(2.5434)) = 0.010977.
# Wilson 95% (z = 1.959964): 30/200 -> [0.107136, 0.206056]; 5/100 -> [0.021544, 0.111750].
# Newcombe: low = 0.10 - sqrt((0.15 - 0.107136)^2 + (0.111750 - 0.05)^2) = 0.024831,
#           high = 0.10 + sqrt((0.206056 - 0.15)^2 + (0.05 - 0.021544)^2) = 0.162865.


def hand_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    groups = pd.DataFrame(
        {"customer_id": range(1, 301), "group": ["target"] * 200 + ["control"] * 100}
    )
    responders = [*range(1, 31), *range(201, 206)]
    responses = pd.DataFrame({"customer_id": responders, "revenue": np.nan})
    return groups, responses


def test_readout_matches_the_hand_computation():
    groups, responses = hand_example()
    result = readout("spring", groups, responses)
    figures = result.as_dict()
    assert set(figures) == {
        "campaign",
        "target",
        "control",
        "lift_absolute",
        "lift_relative",
        "ci95",
        "p_value",
        "verdict",
    }
    assert figures["campaign"] == "spring"
    assert figures["target"] == {"size": 200, "responders": 30, "rate": 0.15}
    assert figures["control"] == {"size": 100, "responders": 5, "rate": 0.05}
    assert figures["lift_absolute"] == pytest.approx(0.10)
    assert figures["lift_relative"] == pytest.approx(2.0)
    assert figures["ci95"][0] == pytest.approx(0.024831, abs=2e-6)
    assert figures["ci95"][1] == pytest.approx(0.162865, abs=2e-6)
    assert figures["p_value"] == pytest.approx(0.010977, abs=2e-6)
    assert figures["verdict"].startswith("The campaign worked: 15.00% in target against 5.00%")
    text = "\n".join(result.lines())
    assert "z-test" in text and "Newcombe" in text and "Wilson" in text
    assert "+10.00 points absolute (+200.0% relative)" in text


def test_revenue_per_customer_when_the_file_has_revenue():
    groups, responses = hand_example()
    responses["revenue"] = 10.0  # 30 target responders -> 300 over 200; 5 control -> 50 over 100
    result = readout("spring", groups, responses)
    assert result.target.revenue_per_customer == pytest.approx(1.5)
    assert result.control.revenue_per_customer == pytest.approx(0.5)
    assert "revenue per customer 1.50" in "\n".join(result.lines())
    assert "revenue" not in result.as_dict()["target"]


def test_a_small_control_group_is_too_small_to_tell():
    result = compare("tiny", GroupResult(500, 80), GroupResult(12, 1))
    assert result.verdict.startswith("Too small to tell: the control group (12 customers")
    assert result.ci95 is not None and result.ci95[0] < 0 < result.ci95[1]


def test_no_control_group_cannot_be_told():
    result = compare("none", GroupResult(500, 80), GroupResult(0, 0))
    assert result.verdict.startswith("Cannot tell: the control group is empty")
    assert result.as_dict()["control"] == {"size": 0, "responders": 0, "rate": None}
    assert result.as_dict()["ci95"] is None and result.as_dict()["p_value"] is None


def test_no_difference_is_no_clear_effect():
    result = compare("flat", GroupResult(2000, 300), GroupResult(1000, 150))
    assert result.lift_absolute == 0 and result.p_value == pytest.approx(1.0)
    assert result.verdict.startswith("No clear effect")


# ----------------------------------------------------------------------------------------------
# Options and groups


def test_top_and_holdout_options():
    assert parse_top("30%") == Top(share=0.3) and parse_top("500") == Top(count=500)
    assert Top(share=0.3).rows(10) == 3 and Top(share=0.3).rows(11) == 4
    assert Top(count=500).rows(120) == 120
    assert parse_holdout("10%") == pytest.approx(0.1)
    for bad in ("0%", "150%", "abc", "-5", "3.5"):
        with pytest.raises(ValueError, match="--top"):
            parse_top(bad)
    for bad in ("10", "0%", "60%", "x%"):
        with pytest.raises(ValueError, match="--holdout"):
            parse_holdout(bad)
    with pytest.raises(ValueError, match="--holdout needs --campaign"):
        Targeting.parse(holdout="10%")
    assert Targeting.parse(campaign="Spring-2026").campaign == "spring-2026"
    assert Targeting.parse(campaign="spring").holdout == pytest.approx(0.10)
    with pytest.raises(ValueError, match="campaign name"):
        Targeting.parse(campaign="no spaces/here")


def test_groups_are_a_deterministic_hash_of_campaign_and_id():
    ids = np.arange(1, 20001)
    groups = assign_groups("spring", ids, 0.10)
    assert (groups == assign_groups("spring", ids, 0.10)).all()
    assert 0.09 < (groups == "control").mean() < 0.11
    again = assign_groups("spring", ids[::-1], 0.10)[::-1]
    assert (groups == again).all()  # a customer's group does not depend on the others
    other = assign_groups("autumn", ids, 0.10)
    assert (groups != other).any()


def audience(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"customer_id": np.arange(1, n + 1), "propensity": rng.random(n)})


def test_select_audience_keeps_the_most_likely_and_adds_groups():
    options = Targeting.parse(top="25%", campaign="spring", holdout="20%")
    chosen = select_audience(audience(), options)
    assert len(chosen) == 50
    assert chosen["propensity"].min() >= audience()["propensity"].nlargest(50).min()
    assert set(chosen["group"]) == {"target", "control"}
    with pytest.raises(CampaignError, match="needs a response model"):
        select_audience(audience().drop(columns=["propensity"]), options)


# ----------------------------------------------------------------------------------------------
# The record in the store


@pytest.fixture
def store(database_url):
    store = Store(database_url)
    store.migrate()
    yield store
    store.engine.dispose()


def record(store, options, persona="premium", rows=None):
    chosen = select_audience(audience() if rows is None else rows, options)
    return record_campaign(store, options, persona, chosen, "U1", "C1", "v1"), chosen


def test_a_campaign_is_recorded_and_exporting_again_gives_the_same_groups(store):
    options = Targeting.parse(top="50%", campaign="spring", holdout="10%")
    first, chosen = record(store, options)
    assert (first.name, first.persona, first.filters, first.holdout) == (
        "spring",
        "premium",
        {"top": "50%"},
        0.1,
    )
    assert first.target_size + first.control_size == 100 == len(chosen)
    assert (first.created_by, first.channel_id, first.model_version) == ("U1", "C1", "v1")
    second, again = record(store, options)
    pd.testing.assert_frame_equal(chosen, again)
    assert (second.target_size, second.control_size, second.exports) == (
        first.target_size,
        first.control_size,
        2,
    )
    stored = campaign_groups(store, second).set_index("customer_id")["group"]
    assert (stored[chosen["customer_id"]].to_numpy() == chosen["group"].to_numpy()).all()
    assert [c.name for c in list_campaigns(store)] == ["spring"]


def test_a_name_is_bound_to_its_persona_and_holdout(store):
    record(store, Targeting.parse(campaign="spring", holdout="10%"))
    with pytest.raises(CampaignError, match="is for premium, not family_budget"):
        record(store, Targeting.parse(campaign="spring"), persona="family_budget")
    with pytest.raises(CampaignError, match="holds out 10%, not 20%"):
        record(store, Targeting.parse(campaign="spring", holdout="20%"))


def test_unknown_campaign_and_unknown_response_ids_are_refused_in_one_line(store, tmp_path):
    with pytest.raises(CampaignError, match="no campaign named 'autumn'") as error:
        get_campaign(store, "autumn")
    assert "\n" not in str(error.value)
    found, _ = record(store, Targeting.parse(campaign="spring"))
    responses = tmp_path / "responses.csv"
    responses.write_text("customer_id\n1\n999999\n888888\n")
    with pytest.raises(CampaignError, match="2 customer id\\(s\\) are not in campaign 'spring'"):
        save_responses(store, found, read_responses(responses), str(responses))
    assert stored_responses(store, get_campaign(store, "spring")) is None
    responses.write_text("customer_id,revenue\n1,20\n2,5.5\n1,10\n")
    save_responses(store, found, read_responses(responses), str(responses))
    loaded = stored_responses(store, get_campaign(store, "spring"))
    assert loaded.set_index("customer_id")["revenue"].to_dict() == {1: 30.0, 2: 5.5}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,revenue\n1,2\n", "no customer_id column"),
        ("customer_id\n12\nabc\n", "line 3: customer_id 'abc' is not a whole number"),
        ("customer_id;revenue\n12;x\n", "line 2: revenue 'x' is not a number"),
        ("", "not a readable CSV file"),
    ],
)
def test_bad_response_files_get_one_line_naming_the_problem(tmp_path, content, message):
    path = tmp_path / "responses.csv"
    path.write_text(content)
    with pytest.raises(CampaignError, match=message) as error:
        read_responses(path)
    assert "\n" not in str(error.value)
    with pytest.raises(CampaignError, match="not found"):
        read_responses(tmp_path / "missing.csv")
