//! brine-scan's integration tests: the generated corpus, CPython's fixtures, truncations.

mod checkpoint;
mod corpus;
mod side_files;
mod truncation;
