//! Holds no code: the cases are in `ui/`, run by `tests/ui.rs`, whose
//! documentation says how to run them and rewrite their expected errors.
//! Mis-wired nets must not compile, and the error must say why in plain
//! words.
