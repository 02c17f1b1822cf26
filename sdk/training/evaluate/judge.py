"""The VLM judge: HOI3DGen's "GPT score", a multi-way preference among methods.

For each prompt, every method's asset is shown as one composite image (an orbit
of the human + object, `composite`), and a vision-language model
(`backends.protocols.VisionLanguageModel`) is asked which image best shows the
prompt, the answer constrained to the option letters ("A", "B", ...) by
`option_logprobs`. A judge prefers some positions (the first image, the letter
"A"); so the methods are shown in several orders, each order's probabilities
are mapped back to the methods, and the orders are combined:

- orders: every permutation of the K methods for K <= `JudgeOptions.
  exhaustive_up_to` (K! orders), else `JudgeOptions.samples` seeded random
  permutations, each with its K cyclic rotations (K · samples orders). Either
  way every method sits at every position equally often.
- aggregation (`AGGREGATIONS`): "log_mean" (default) averages each method's
  log-probability over the orders and normalises (softmax). A judge whose
  log-probabilities carry an additive bias per position (log p = s_method +
  b_position − log Z) then gets exactly softmax(s): every method collects
  every b_position equally often and log Z is shared by the methods of an
  order. "mean" averages the probabilities themselves: the expected share of
  wins if the judge's answer were drawn from its distribution; a position bias
  does not cancel there (every method is shown first equally often, but how
  much that helps depends on its rivals in each order); for K = 2 it pulls the
  shares towards 1/2.

Per prompt the shares sum to 1 (a share of wins); the method scores are the
mean of the per-prompt shares over prompts (they sum to 1 too). The hard-vote
variant counts, per order, the method with the highest probability (ties
split): `votes`. `wins` is the share of prompts whose highest share is the
method's (ties split).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from hoiexport.sdk.core.errors import InputError
from hoiexport.sdk.core.types import HOIAsset, Mesh
from hoiexport.sdk.training.backends.protocols import VisionLanguageModel

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
"""Option labels; at most 26 methods are judged at once."""

DEFAULT_QUESTION = (
    "Each of the {k} images shows one 3D scene of a person interacting with an object, seen from four sides. "
    "The images are labelled in the order shown: {labels}. "
    "Which image best shows this description: \"{prompt}\"? "
    "Judge how natural the person and the pose look, how realistic the object looks, and whether the person "
    "touches the object the way the description says. Answer with the letter of the best image."
)
"""The question asked per order; `{prompt}`, `{k}`, `{labels}` ("image 1 is A,
image 2 is B, ...") and `{letters}` ("A, B, C") are filled in."""


def question_text(template: str, prompt: str, k: int) -> str:
    """The question for `prompt` with K options (`DEFAULT_QUESTION`'s fields filled)."""
    letters = LETTERS[:k]
    labels = ", ".join(f"image {i + 1} is {c}" for i, c in enumerate(letters))
    return template.format(prompt=prompt, k=k, labels=labels, letters=", ".join(letters))


LOGPROB_FLOOR = -50.0
"""Log-probabilities below this are raised to it before aggregation, so a
method a judge gave probability 0 in one order keeps a finite score."""

MAX_EXHAUSTIVE = 6
"""The most methods whose every permutation may be asked (6! = 720 judge calls per prompt)."""

Aggregation = Literal["log_mean", "mean"]


# --------------------------------------------------------------------------- composite images


@dataclass(frozen=True)
class JudgeRenderOptions:
    """How one asset becomes one judge image: orbit views tiled in a grid.

    Attributes:
        yaws_deg: camera yaws about +Y, degrees (0 = in front, on +Z; 90 on +X),
            one tile each, row-major.
        columns: tiles per row.
        resolution: tile edge, pixels.
        pitch_deg: camera elevation, degrees (positive looks down).
        fov_deg: field of view, degrees.
        margin: distance factor over the distance framing the bounding sphere.
    """

    yaws_deg: tuple[float, ...] = (0.0, 90.0, 180.0, 270.0)
    columns: int = 2
    resolution: int = 256
    pitch_deg: float = 10.0
    fov_deg: float = 40.0
    margin: float = 1.05

    def __post_init__(self) -> None:
        if not self.yaws_deg:
            raise InputError("JudgeRenderOptions.yaws_deg is empty; give at least one camera yaw in degrees")
        if isinstance(self.columns, bool) or not isinstance(self.columns, int) or self.columns < 1:
            raise InputError(f"JudgeRenderOptions.columns must be an integer >= 1, got {self.columns!r}")
        if isinstance(self.resolution, bool) or not isinstance(self.resolution, int) or not 32 <= self.resolution <= 2048:
            raise InputError(f"JudgeRenderOptions.resolution must be an integer in [32, 2048] pixels, "
                             f"got {self.resolution!r}")


def composite(mesh: Mesh, options: JudgeRenderOptions = JudgeRenderOptions()) -> np.ndarray:
    """The orbit views of `mesh` tiled into one image (white background).

    Args:
        mesh: the combined human + object surface, internal frame (+Y up, the
            character facing +Z), metres, coloured by its texture or vertex colours.
        options: views, grid and camera.

    Returns:
        (rows · R, columns · R, 3) uint8 sRGB, R = `options.resolution`, rows =
        ceil(views / columns); tiles row-major in `yaws_deg` order, missing
        tiles of the last row white.
    """
    from hoiexport.sdk.geometry.orbit import OrbitOptions, render_orbit

    o = options
    shots = render_orbit(mesh, OrbitOptions(views=len(o.yaws_deg), yaws_deg=o.yaws_deg, pitch_deg=o.pitch_deg,
                                            fov_deg=o.fov_deg, resolution=o.resolution, margin=o.margin,
                                            background=(255, 255, 255)))
    columns = min(o.columns, len(o.yaws_deg))
    rows = math.ceil(len(o.yaws_deg) / columns)
    r = o.resolution
    image = np.full((rows * r, columns * r, 3), 255, np.uint8)
    for k, tile in enumerate(shots.rgb):
        i, j = divmod(k, columns)
        image[i * r:(i + 1) * r, j * r:(j + 1) * r] = tile
    return image


def asset_composite(asset: HOIAsset, options: JudgeRenderOptions = JudgeRenderOptions()) -> np.ndarray:
    """`composite` of an asset's human and object together."""
    from hoiexport.sdk.training.data.render import scene_mesh

    return composite(scene_mesh(asset), options)


# --------------------------------------------------------------------------- orders and aggregation


def _log_mean(per_method: np.ndarray) -> np.ndarray:
    """softmax of the mean log-probability (floored at `LOGPROB_FLOOR`) per method."""
    mean = np.maximum(per_method, LOGPROB_FLOOR).mean(axis=0)
    e = np.exp(mean - mean.max())
    return e / e.sum()


def _mean(per_method: np.ndarray) -> np.ndarray:
    """Mean probability per method (the expected share of wins)."""
    p = np.exp(per_method).mean(axis=0)
    return p / p.sum()


AGGREGATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"log_mean": _log_mean, "mean": _mean}
"""Aggregation name → (P, K) per-method log-probabilities → (K,) shares summing to 1."""


@dataclass(frozen=True)
class JudgeOptions:
    """How the judge is asked and how its answers are combined.

    Attributes:
        question: the question template (`DEFAULT_QUESTION`, which describes
            the default 4-view composite; must contain "{prompt}").
        aggregation: an `AGGREGATIONS` name (module docstring).
        exhaustive_up_to: up to this many methods every permutation is asked
            (K! orders; at most `MAX_EXHAUSTIVE`).
        samples: above it, this many seeded random permutations, each asked in
            its K cyclic rotations.
        seed: seed of the sampled permutations.
    """

    question: str = DEFAULT_QUESTION
    aggregation: Aggregation = "log_mean"
    exhaustive_up_to: int = 4
    samples: int = 6
    seed: int = 0

    def __post_init__(self) -> None:
        if "{prompt}" not in self.question:
            raise InputError("JudgeOptions.question must contain {prompt} (where the description goes)")
        try:
            question_text(self.question, "x", 2)
        except (KeyError, IndexError, ValueError) as exc:
            raise InputError(f"JudgeOptions.question has a bad field ({exc!r}); use only {{prompt}}, {{k}}, "
                             "{labels}, {letters} and write literal braces as {{ }}") from None
        if self.aggregation not in AGGREGATIONS:
            raise InputError(f"unknown judge aggregation {self.aggregation!r}; use one of: {', '.join(AGGREGATIONS)}")
        for name in ("exhaustive_up_to", "samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"JudgeOptions.{name} must be an integer >= 1, got {value!r}")
        if self.exhaustive_up_to > MAX_EXHAUSTIVE:
            raise InputError(f"JudgeOptions.exhaustive_up_to must be <= {MAX_EXHAUSTIVE} ({MAX_EXHAUSTIVE}! orders), "
                             f"got {self.exhaustive_up_to}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"JudgeOptions.seed must be an integer >= 0, got {self.seed!r}")


def judge_orders(k: int, options: JudgeOptions = JudgeOptions()) -> np.ndarray:
    """The orders the K methods are shown in (module docstring).

    Returns:
        (P, K) int64: row p, column i = the method shown at position i (letter
        `LETTERS[i]`) in order p. Every method appears at every position P / K
        times.
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= len(LETTERS):
        raise InputError(f"the judge compares 2 to {len(LETTERS)} methods, got {k!r}")
    if k <= options.exhaustive_up_to:
        return np.array(list(itertools.permutations(range(k))), np.int64)
    rng = np.random.default_rng(options.seed)
    bases = [rng.permutation(k) for _ in range(options.samples)]
    return np.array([np.roll(b, -shift) for b in bases for shift in range(k)], np.int64)


def by_method(logprobs: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Per-position log-probabilities → per-method ones.

    Args:
        logprobs: (P, K) float, row p = the judge's log-probabilities of the
            letters in order p (column i = position i).
        orders: (P, K) int, `judge_orders`.

    Returns:
        (P, K) float64, column m = method m's log-probability in each order.
    """
    logprobs = np.asarray(logprobs, np.float64)
    orders = np.asarray(orders, np.int64)
    if logprobs.shape != orders.shape or logprobs.ndim != 2:
        raise InputError(f"log-probabilities {logprobs.shape} and orders {orders.shape} must both be (P, K)")
    out = np.empty_like(logprobs)
    np.put_along_axis(out, orders, logprobs, axis=1)
    return out




def prompt_shares(logprobs: np.ndarray, orders: np.ndarray, aggregation: Aggregation = "log_mean") -> np.ndarray:
    """One prompt's win shares from the judge's answers over the orders.

    Args:
        logprobs: (P, K) per order, per position log-probabilities (each row
            exp-sums to 1).
        orders: (P, K) `judge_orders`.
        aggregation: an `AGGREGATIONS` name.

    Returns:
        (K,) float64 per-method shares, summing to 1.
    """
    if aggregation not in AGGREGATIONS:
        raise InputError(f"unknown judge aggregation {aggregation!r}; use one of: {', '.join(AGGREGATIONS)}")
    return AGGREGATIONS[aggregation](by_method(logprobs, orders))


def hard_votes(logprobs: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Share of orders each method won (highest probability; ties split).

    Args:
        logprobs, orders: as `prompt_shares`.

    Returns:
        (K,) float64, summing to 1.
    """
    per_method = by_method(logprobs, orders)
    top = per_method == per_method.max(axis=1, keepdims=True)
    return (top / top.sum(axis=1, keepdims=True)).mean(axis=0)


def tie_split_argmax(values: np.ndarray) -> np.ndarray:
    """(K,) one vote shared by the entries equal to the maximum."""
    top = np.asarray(values) == np.max(values)
    return top / top.sum()


# --------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class JudgeCase:
    """One prompt and every method's image.

    Attributes:
        prompt: the description the methods were asked for.
        images: method name → (H, W, 3) uint8 composite (`composite`).
    """

    prompt: str
    images: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class PromptJudgement:
    """The judge's answers for one prompt.

    Attributes:
        prompt: the description.
        shares: method → win share (sum 1).
        votes: method → share of orders won (sum 1).
        orders: (P, K) int64 method index per position (`judge_orders`).
        logprobs: (P, K) float64 the judge's log-probability per position.
    """

    prompt: str
    shares: dict[str, float]
    votes: dict[str, float]
    orders: np.ndarray
    logprobs: np.ndarray

    def to_json(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "shares": self.shares, "votes": self.votes,
                "orders": self.orders.tolist(), "logprobs": self.logprobs.tolist()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PromptJudgement:
        return cls(d["prompt"], {k: float(v) for k, v in d["shares"].items()},
                   {k: float(v) for k, v in d["votes"].items()}, np.asarray(d["orders"], np.int64),
                   np.asarray(d["logprobs"], np.float64))


@dataclass(frozen=True)
class JudgeResult:
    """A judged comparison of K methods over prompts.

    Attributes:
        methods: method names, in the order of the orders' indices.
        judge: the judge model's name; `revision` its pinned revision.
        revision: None without weights.
        aggregation: the `AGGREGATIONS` name used.
        prompts: one judgement per prompt.
        scores: method → mean win share over prompts (sum 1): the GPT score.
        votes: method → mean hard-vote share over prompts (sum 1).
        wins: method → share of prompts where it had the highest share (ties split; sum 1).
    """

    methods: tuple[str, ...]
    judge: str
    revision: str | None
    aggregation: str
    prompts: tuple[PromptJudgement, ...]
    scores: dict[str, float]
    votes: dict[str, float]
    wins: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {"methods": list(self.methods), "judge": self.judge, "revision": self.revision,
                "aggregation": self.aggregation, "scores": self.scores, "votes": self.votes, "wins": self.wins,
                "prompts": [p.to_json() for p in self.prompts]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> JudgeResult:
        """The result `to_json` wrote (e.g. to report it again)."""
        return cls(tuple(d["methods"]), d["judge"], d.get("revision"), d["aggregation"],
                   tuple(PromptJudgement.from_json(p) for p in d["prompts"]),
                   {k: float(v) for k, v in d["scores"].items()}, {k: float(v) for k, v in d["votes"].items()},
                   {k: float(v) for k, v in d["wins"].items()})


def summarize_judgements(methods: Sequence[str], judgements: Sequence[PromptJudgement], judge: str = "",
                         revision: str | None = None, aggregation: str = "log_mean") -> JudgeResult:
    """Method scores from per-prompt judgements (means over prompts).

    Raises:
        InputError: no judgements, or one whose methods differ from `methods`.
    """
    methods = tuple(methods)
    if not judgements:
        raise InputError("the judge result needs at least one judged prompt")
    for j in judgements:
        if tuple(j.shares) != methods:
            raise InputError(f"prompt {j.prompt!r} judged methods {list(j.shares)}; expected {list(methods)}")
    shares = np.array([[j.shares[m] for m in methods] for j in judgements])
    votes = np.array([[j.votes[m] for m in methods] for j in judgements])
    wins = np.array([tie_split_argmax(row) for row in shares])
    return JudgeResult(methods, judge, revision, aggregation, tuple(judgements),
                       dict(zip(methods, map(float, shares.mean(axis=0)))),
                       dict(zip(methods, map(float, votes.mean(axis=0)))),
                       dict(zip(methods, map(float, wins.mean(axis=0)))))


def _check_image(image: Any, where: str) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"{where} must be an (H, W, 3) uint8 image, got {image.dtype} {image.shape}")
    return image


def _normalised(logprobs: Any, k: int, judge: VisionLanguageModel) -> np.ndarray:
    lp = np.asarray(logprobs, np.float64)
    if lp.shape != (k,) or np.isnan(lp).any() or not np.isfinite(lp).any():
        raise RuntimeError(f"judge {judge.name!r} returned {lp.shape} log-probabilities {lp.tolist()} for "
                           f"{k} options; its option_logprobs must give {k} finite log-probabilities")
    top = lp.max()
    return lp - (top + np.log(np.exp(lp - top).sum()))  # exp-sums to 1 exactly


def judge_prompt(judge: VisionLanguageModel, case: JudgeCase, methods: Sequence[str],
                 options: JudgeOptions = JudgeOptions()) -> PromptJudgement:
    """Ask `judge` about one prompt in every order of `judge_orders` and combine.

    Args:
        judge: the vision-language model.
        case: the prompt and each method's image.
        methods: the method names, fixing their indices.
        options: question, orders, aggregation.

    Raises:
        InputError: the case lacks a method's image, or an image is not (H, W, 3) uint8.
        RuntimeError: the judge returned malformed log-probabilities.
    """
    methods = tuple(methods)
    if set(case.images) != set(methods):
        raise InputError(f"prompt {case.prompt!r} has images of {sorted(case.images)}; every prompt needs "
                         f"one image per method: {list(methods)}")
    images = [_check_image(case.images[m], f"the image of method {m!r} for prompt {case.prompt!r}") for m in methods]
    k = len(methods)
    orders = judge_orders(k, options)
    question = question_text(options.question, case.prompt, k)
    letters = list(LETTERS[:k])
    logprobs = np.stack([_normalised(judge.option_logprobs([images[m] for m in order], question, letters), k, judge)
                         for order in orders])
    shares = prompt_shares(logprobs, orders, options.aggregation)
    votes = hard_votes(logprobs, orders)
    return PromptJudgement(case.prompt, dict(zip(methods, map(float, shares))),
                           dict(zip(methods, map(float, votes))), orders, logprobs)


PromptCallback = Callable[[int, PromptJudgement], None]
"""Called after each prompt with its index and judgement (progress output)."""


def judge_cases(judge: VisionLanguageModel, cases: Sequence[JudgeCase], options: JudgeOptions = JudgeOptions(),
                on_prompt: PromptCallback | None = None) -> JudgeResult:
    """Judge every prompt's images and score the methods (module docstring).

    Args:
        judge: a `VisionLanguageModel` (its `option_logprobs` is the only call).
        cases: per prompt, each method's composite; every case names the same
            methods (their order is the first case's).
        options: question, orders, aggregation.
        on_prompt: called after each prompt.

    Returns:
        Per-method scores, votes and wins, and every prompt's judgement.

    Raises:
        InputError: no cases, fewer than 2 or more than 26 methods, a case with
            other methods, a bad image, or a judge that is not a
            `VisionLanguageModel`.
        RuntimeError: the judge returned malformed log-probabilities.
    """
    if not isinstance(judge, VisionLanguageModel):
        raise InputError(f"the judge must implement VisionLanguageModel (name, revision, answer, option_logprobs), "
                         f"got {type(judge).__name__}")
    if not cases:
        raise InputError("the judge needs at least one prompt with every method's image")
    methods = tuple(cases[0].images)
    judge_orders(len(methods), options)  # checks the method count before any call
    judgements = []
    for index, case in enumerate(cases):
        judgement = judge_prompt(judge, case, methods, options)
        judgements.append(judgement)
        if on_prompt is not None:
            on_prompt(index, judgement)
    return summarize_judgements(methods, judgements, judge.name, judge.revision, options.aggregation)


def judge_assets(
    judge: VisionLanguageModel,
    assets: Sequence[Mapping[str, HOIAsset]],
    options: JudgeOptions = JudgeOptions(),
    render: JudgeRenderOptions = JudgeRenderOptions(),
    prompts: Sequence[str] | None = None,
    on_prompt: PromptCallback | None = None,
) -> JudgeResult:
    """Render each method's asset (`asset_composite`) and judge them.

    Args:
        judge: the vision-language model.
        assets: per prompt, method name → its asset for that prompt.
        options: question, orders, aggregation.
        render: the composite images.
        prompts: the description per prompt; None = the first method's
            `asset.prompt.text`.
        on_prompt: called after each prompt.

    Raises:
        InputError: as `judge_cases`, or `prompts` of another length than `assets`.
    """
    if prompts is not None and len(prompts) != len(assets):
        raise InputError(f"{len(prompts)} prompts for {len(assets)} sets of assets; give one prompt per set")
    cases = []
    for i, by_name in enumerate(assets):
        if not by_name:
            raise InputError(f"asset set {i + 1} is empty; give each method's asset")
        text = prompts[i] if prompts is not None else next(iter(by_name.values())).prompt.text
        cases.append(JudgeCase(text, {m: asset_composite(a, render) for m, a in by_name.items()}))
    return judge_cases(judge, cases, options, on_prompt)
