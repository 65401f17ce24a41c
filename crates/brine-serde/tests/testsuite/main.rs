//! brine-serde's integration tests, in one binary: property round trips through every
//! protocol, the CPython fixture corpus read into Rust types and written back byte for byte,
//! differential tests against CPython 3.11.7, the forms read through brine-interpret,
//! errors, limits and borrowing, the two serialization sinks against each other, and serde
//! tooling over the public `Serializer` and `Deserializer`.

mod cpython;
mod direct;
mod errors;
mod fixtures;
mod forms;
mod roundtrip;
mod tooling;
