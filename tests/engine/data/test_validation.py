"""Repeated IDs across chunks: `SeenIds` against a plain dict of first lines."""

from __future__ import annotations

import numpy as np
import pytest

from smartcart.engine.data.validation import SeenIds


def some_ids(rng: np.random.Generator, size: int, kind: str) -> np.ndarray:
    ids = rng.integers(0, 600, size).astype(float)
    if kind == "mixed":  # whole numbers, fractions, negatives and IDs past 2**32 in one run
        ids = np.where(rng.random(size) < 0.3, ids / 4 - 20, ids)
        ids = np.where(rng.random(size) < 0.1, ids + 2**32, ids)
    return ids


@pytest.mark.parametrize("kind", ["whole", "mixed"])
@pytest.mark.parametrize("max_run", [SeenIds.MAX_RUN, 64])
def test_seen_ids_finds_the_first_line_of_every_repeat(
    monkeypatch, max_run: int, kind: str
) -> None:
    monkeypatch.setattr(SeenIds, "MAX_RUN", max_run)
    rng = np.random.default_rng(7)
    seen, reference, line = SeenIds(), {}, 2
    for size in [50, 1, 0, 200, 37, 500, 3, 120]:
        ids = some_ids(rng, size, kind if line > 100 else "whole")
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
        assert np.all(np.diff(keys.astype(float)) > 0)
    if kind == "whole":
        assert {keys.dtype for keys, _ in seen._runs} == {np.dtype(np.uint32)}
