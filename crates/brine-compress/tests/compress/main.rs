//! Integration tests of brine-compress, in one binary: round trips, damaged input, limits,
//! multi-member streams, streaming in constant memory, and differential tests against Python.

mod damage;
mod members;
mod python;
mod roundtrip;
mod streaming;
mod support;
