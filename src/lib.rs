//! Nothing here: this package only owns the workspace-level `tests/` and `examples/`.
