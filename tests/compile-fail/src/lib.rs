//! Holds no code: the cases are in `ui/`, run by `tests/ui.rs`.
