"""Contact-verified choice among lifted candidates (docs/architecture.md §7, stage 6).

Our addition, not in the released HOI3DGen code (docs/fidelity.md): the release
(`run_t23d_pipe.sh`) lifts every generated view into its own mesh and does not
choose among them; here the
chain lifts every view and keeps the one whose measured contact configuration
matches the prompt. Among K candidates, keep those
whose measured configuration equals the requested one (all of them when none
does, or when nothing was requested); among those, the lowest maximum
penetration depth wins, where depths within `penetration_tolerance_cm` of the
lowest count as a tie; ties go to the lowest Chamfer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import ContactConfig


@dataclass(frozen=True)
class CandidateSummary:
    """What the choice looks at for one lifted candidate.

    Attributes:
        contact_config: the measured contact configuration.
        penetration_cm: maximum penetration depth (either way), cm.
        chamfer_cm: registration Chamfer, cm (bidirectional mean of unsquared distances).
    """

    contact_config: ContactConfig
    penetration_cm: float
    chamfer_cm: float


@dataclass
class Selection:
    """The chosen candidate and why.

    Attributes:
        index: index of the chosen candidate.
        matched: whether its measured configuration equals the requested one.
        ranking: every candidate index, best first.
        reason: one sentence.
    """

    index: int
    matched: bool
    ranking: list[int]
    reason: str


def choose_candidate(
    candidates: Sequence[CandidateSummary],
    requested: ContactConfig | None,
    penetration_tolerance_cm: float = 0.5,
) -> Selection:
    """Pick the contact-verified candidate (module docstring).

    Args:
        candidates: one summary per lifted candidate.
        requested: the prompt's requested configuration, or None.
        penetration_tolerance_cm: penetration depths closer than this to the
            lowest of the eligible candidates tie.

    Raises:
        InputError: no candidates.
    """
    if not candidates:
        raise InputError("contact-verified choice needs at least one candidate")
    matching = [i for i, c in enumerate(candidates) if requested is not None and c.contact_config == requested]
    eligible = matching or list(range(len(candidates)))
    best_pen = min(candidates[i].penetration_cm for i in eligible)

    def key(i: int) -> tuple[int, int, float, float]:
        c = candidates[i]
        return (
            0 if i in matching else 1,
            0 if c.penetration_cm <= best_pen + penetration_tolerance_cm else 1,
            c.chamfer_cm if c.penetration_cm <= best_pen + penetration_tolerance_cm else c.penetration_cm,
            c.chamfer_cm,
        )

    ranking = sorted(range(len(candidates)), key=key)
    index = ranking[0]
    chosen = candidates[index]
    if matching:
        reason = (
            f"{len(matching)} of {len(candidates)} candidates measure the requested {requested.value}; "  # type: ignore[union-attr]
            f"kept the one with penetration {chosen.penetration_cm:.2f} cm and Chamfer {chosen.chamfer_cm:.2f} cm"
        )
    elif requested is not None:
        reason = (
            f"no candidate measures the requested {requested.value}; kept the one with the lowest "
            f"penetration ({chosen.penetration_cm:.2f} cm), then Chamfer ({chosen.chamfer_cm:.2f} cm)"
        )
    else:
        reason = "no contact configuration requested; kept the lowest penetration, then Chamfer"
    return Selection(index=index, matched=bool(matching), ranking=ranking, reason=reason)
