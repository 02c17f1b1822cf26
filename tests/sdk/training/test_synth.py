"""The compose grid and `synthesize` through the batch runner ("sample" job)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig
from hoiexport.sdk.prompt.lexicon import ACTION_CONTACTS
from hoiexport.sdk.prompt.resolve import resolve_prompt
from hoiexport.sdk.training.data.sample import iter_samples
from hoiexport.sdk.training.data.synth import feasible_pairs, shares, synth_grid


def test_every_configuration_has_pairs_and_they_go_together():
    pairs = feasible_pairs()
    assert set(pairs) == set(ContactConfig)
    for config, ps in pairs.items():
        assert ps, config
        assert all(config in ACTION_CONTACTS[a] for _, a in ps)


def test_grid_is_balanced_deterministic_and_parses_back():
    grid = synth_grid(83, seed=3)
    counts = Counter(p.config for p in grid)
    assert sum(counts.values()) == 83 and max(counts.values()) - min(counts.values()) <= 1
    assert [p.text for p in synth_grid(83, seed=3)] == [p.text for p in grid]
    assert [p.text for p in synth_grid(83, seed=4)] != [p.text for p in grid]
    assert len({p.seed for p in grid}) == len(grid)
    for p in grid:
        r = resolve_prompt(p.text)
        assert (r.object, r.action, r.requested_config) == (p.object, p.action, p.config), p.text
    # a top-up continues the sequence: skipping k gives the k-th prompt on
    first = synth_grid(5, (ContactConfig.BACK,), seed=3)
    assert synth_grid(2, (ContactConfig.BACK,), seed=3, skip={ContactConfig.BACK: 3}) == first[3:]


def test_shares_and_bad_counts():
    assert list(shares(10, tuple(ContactConfig)).values()) == [2, 2, 1, 1, 1, 1, 1, 1]
    with pytest.raises(InputError, match="integer >= 1"):
        shares(0, tuple(ContactConfig))
    with pytest.raises(InputError, match="unknown contact configuration"):
        synth_grid(4, ("elbow",))  # type: ignore[arg-type]


def test_synthesize_writes_samples_and_resumes(tmp_path):
    from hoiexport.training import synthesize

    out = tmp_path / "ds"
    configs = ("right_hand", "other")
    summary = synthesize(2, out, configs=configs, workers=1)
    assert summary.ok and summary.done == {"right_hand": 1, "other": 1}
    samples = list(iter_samples(out))
    assert len(samples) == 2
    for s in samples:
        rec = s.record
        assert rec.source == "compose" and rec.requested_config in configs and rec.seed is not None
        assert (s.bundle / "asset.json").is_file()
        assert set(s.appearance_paths()) == {"front", "left", "back", "right"}
        views = s.view_paths()
        assert set(views) == {"front", "left_diagonal", "right_diagonal"}
        img = np.asarray(Image.open(views["front"]))
        assert img.shape == (512, 512, 3)
        assert (img[0, 0] == 255).all() and (img != 255).any()  # white background, something drawn
        # left and right diagonal see the interaction from different sides
        assert not np.array_equal(np.asarray(Image.open(views["left_diagonal"])),
                                  np.asarray(Image.open(views["right_diagonal"])))
        result = json.loads((s.path / "result.json").read_text())
        assert result["ok"] and result["metrics"]["measured_config"] == rec.requested_config
    again = synthesize(2, out, configs=configs, workers=1, resume=True)
    assert again.ok and again.batches[0].skipped == 2 and again.batches[0].ran == 0
    with pytest.raises(InputError, match="already holds a batch"):
        synthesize(2, out, configs=configs)
