//! brine-scan's integration tests: the generated corpus, CPython's fixtures, truncations.

mod corpus;
mod truncation;
