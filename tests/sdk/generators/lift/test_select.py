"""Contact-verified choice among lifted candidates."""

from __future__ import annotations

import pytest
from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.generators.lift.select import CandidateSummary, choose_candidate
from hoiexport.sdk.core.types import ContactConfig

R, L, B = ContactConfig.RIGHT_HAND, ContactConfig.LEFT_HAND, ContactConfig.BOTH_HANDS


def test_the_requested_configuration_wins_over_lower_penetration_and_chamfer():
    cands = [CandidateSummary(L, 0.0, 0.3), CandidateSummary(R, 2.0, 1.5), CandidateSummary(B, 0.0, 0.2)]
    sel = choose_candidate(cands, R)
    assert sel.index == 1 and sel.matched and sel.ranking[0] == 1
    assert "1 of 3" in sel.reason


def test_ties_go_to_lower_penetration_then_chamfer():
    cands = [CandidateSummary(R, 1.2, 0.4), CandidateSummary(R, 0.1, 0.9), CandidateSummary(R, 0.3, 0.6)]
    sel = choose_candidate(cands, R)  # 0.1 and 0.3 cm tie (tolerance 0.5 cm): the lower Chamfer wins
    assert sel.index == 2 and sel.ranking == [2, 1, 0]
    sel = choose_candidate(cands, R, penetration_tolerance_cm=0.1)
    assert sel.index == 1


def test_without_a_match_the_least_penetrating_is_kept():
    cands = [CandidateSummary(L, 3.0, 0.2), CandidateSummary(B, 0.2, 0.8)]
    sel = choose_candidate(cands, R)
    assert sel.index == 1 and not sel.matched and "no candidate" in sel.reason
    assert choose_candidate(cands, None).index == 1


def test_no_candidates_is_an_error():
    with pytest.raises(InputError):
        choose_candidate([], R)
