//! Holds no code: the properties are in `tests/`.
