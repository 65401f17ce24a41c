//! The tutorial's `__getstate__` / `__setstate__`: an object with an attribute that cannot be
//! pickled (a function) is pickled without it, and the attribute is restored on load.
//!
//! In Rust the field is skipped when serializing (`#[serde(skip)]`, the `__getstate__` that
//! drops `c`) and rebuilt when deserializing (`default = ...`, the `__setstate__` that puts it
//! back).
//!
//! Run with `cargo run -p brine --example getstate`.

use brine::{Options, PyClass};
use serde::{Deserialize, Serialize};

fn square(x: i64) -> i64 {
    x * x
}

fn restore_c() -> fn(i64) -> i64 {
    square
}

#[derive(Serialize, Deserialize)]
#[serde(rename = "foobar")]
struct Foobar {
    a: i64,
    b: String,
    #[serde(skip, default = "restore_c")]
    c: fn(i64) -> i64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let my_foobar_instance = Foobar {
        a: 35,
        b: "test".to_owned(),
        c: square,
    };
    let options = Options::default().class("foobar", PyClass::new("__main__", "foobar"));
    let my_pickle_string = brine::to_vec_with(&my_foobar_instance, &options)?;

    // What was pickled: the instance's state holds a and b only.
    let graph = brine::loads(&my_pickle_string)?;
    println!("pickled: {graph:?}");

    let my_new_instance: Foobar = brine::from_slice(&my_pickle_string)?;
    println!(
        "a = {}, b = {:?}, c(7) = {}",
        my_new_instance.a,
        my_new_instance.b,
        (my_new_instance.c)(7)
    );
    Ok(())
}
