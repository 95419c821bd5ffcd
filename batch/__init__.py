"""Batch editing: many images through one plan-and-run path, on a local process pool or a Ray cluster."""
