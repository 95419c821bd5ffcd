"""Scoring edits the way the field does: suites, plan and region scores, a VLM judge, an HTML report."""
