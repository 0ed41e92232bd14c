//! Cross-crate tests of secstream live in `tests/tests/`; the shared test
//! vectors that every target must decode identically live in `tests/vectors/`.
#![forbid(unsafe_code)]
