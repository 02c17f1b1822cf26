"""HOI3DGen's evaluation: contact accuracy with its confusion matrix
(`contacts`), the VLM judge's multi-way preference, the paper's "GPT score"
(`judge`), and a self-contained HTML report of either (`report`)."""

from hoiexport.sdk.training.evaluate.contacts import (
    CONFIGS,
    ClassScore,
    ContactEval,
    ContactItem,
    ContactMetrics,
    EvalPrompt,
    ViewSplit,
    contact_metrics,
    evaluate_contacts,
    score_asset,
    summarize,
    view_split,
    views_of,
)
from hoiexport.sdk.training.evaluate.judge import (
    AGGREGATIONS,
    JudgeCase,
    JudgeOptions,
    JudgeRenderOptions,
    JudgeResult,
    PromptJudgement,
    asset_composite,
    composite,
    hard_votes,
    judge_assets,
    judge_cases,
    judge_orders,
    prompt_shares,
)
from hoiexport.sdk.training.evaluate.report import report_html, write_report

__all__ = [
    "AGGREGATIONS", "CONFIGS", "ClassScore", "ContactEval", "ContactItem", "ContactMetrics", "EvalPrompt",
    "JudgeCase", "JudgeOptions", "JudgeRenderOptions", "JudgeResult", "PromptJudgement", "ViewSplit",
    "asset_composite", "composite", "contact_metrics", "evaluate_contacts", "hard_votes", "judge_assets",
    "judge_cases", "judge_orders", "prompt_shares", "report_html", "score_asset", "summarize", "view_split",
    "views_of", "write_report",
]
