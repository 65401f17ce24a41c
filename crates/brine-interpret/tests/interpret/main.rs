//! The interpretation layer: each recognised form, and the fixture corpus.

mod code;
mod corpus;
mod forms;
mod graphs;
mod numpy;
mod numpy_write;
mod pandas;
mod show;
mod tidy;
mod view;
