"""The readout chart: both groups' rates with their 95% Wilson intervals, as a PNG."""

from __future__ import annotations

import pytest

from smartcart.engine.marketing.readout_chart import rate_and_interval, readout_chart
from smartcart.engine.marketing.readouts import GroupResult, compare

PNG = b"\x89PNG\r\n\x1a\n"


def test_each_group_gets_its_wilson_interval():
    rate, (low, high) = rate_and_interval(GroupResult(size=100, responders=50))
    assert rate == 0.5
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert rate_and_interval(GroupResult(size=0, responders=0)) == (0.0, (0.0, 0.0))


def test_the_chart_is_a_png(tmp_path):
    result = compare("spring", GroupResult(400, 60), GroupResult(100, 9))
    path = readout_chart(result, tmp_path / "readout.png")
    assert path.read_bytes().startswith(PNG)
