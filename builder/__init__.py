"""The Builder: instruction (+ image, mask, feedback) -> a checked workflow.

`daemon -> builder -> bricks`: the Builder reads the live brick catalog and hands the Executor
workflows that check clean, or says clearly why it cannot.
"""

from lego_edit.builder.planner import Builder, BuilderConfig, Plan, PlanError

__all__ = ["Builder", "BuilderConfig", "Plan", "PlanError"]
