"""Repeated IDs across chunks: `SeenIds` against a plain dict of first lines."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.validation import SeenIds


@pytest.mark.parametrize("max_run", [SeenIds.MAX_RUN, 64])
def test_seen_ids_finds_the_first_line_of_every_repeat(monkeypatch, max_run: int) -> None:
    monkeypatch.setattr(SeenIds, "MAX_RUN", max_run)
    rng = np.random.default_rng(7)
    seen, reference, line = SeenIds(), {}, 2
    for size in [50, 1, 0, 200, 37, 500, 3, 120]:
        ids = rng.integers(0, 600, size).astype(float)
        found = seen.lines_of(ids)
        expected = np.array([reference.get(i, np.nan) for i in ids])
        np.testing.assert_array_equal(found, expected)
        new = {}
        for offset, value in enumerate(ids):
            if value not in reference and value not in new:
                new[value] = line + offset
        if new:
            seen.add(np.array(list(new)), np.array(list(new.values())))
        reference.update(new)
        line += size
    assert max(len(keys) for keys, _ in seen._runs) <= max(max_run, 500)
    for keys, _ in seen._runs:
        assert np.all(np.diff(keys) > 0)
