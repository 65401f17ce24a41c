//! The tutorial's "Inside the Python pickle Module": an object with a number, a string, a
//! dict, a list and a tuple is pickled to bytes, the original is changed, and unpickling the
//! bytes gives back an independent copy of the object as it was.
//!
//! The Rust struct is written as an instance of the Python class `__main__.example_class`,
//! so Python's `pickle.loads` of these bytes returns a real `example_class` instance.
//!
//! Run with `cargo run -p brine --example pickling`.

use brine::{Options, PyClass};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ADict {
    first: String,
    second: i64,
    third: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "example_class")]
struct ExampleClass {
    a_number: i64,
    a_string: String,
    a_dict: Option<ADict>,
    a_list: Vec<i64>,
    a_tuple: (i64, i64),
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut my_object = ExampleClass {
        a_number: 35,
        a_string: "hey".to_owned(),
        a_dict: Some(ADict {
            first: "a".to_owned(),
            second: 2,
            third: vec![1, 2, 3],
        }),
        a_list: vec![1, 2, 3],
        a_tuple: (22, 23),
    };

    let options =
        Options::protocol(3).class("example_class", PyClass::new("__main__", "example_class"));
    let my_pickled_object = brine::to_vec_with(&my_object, &options)?;
    println!(
        "This is my pickled object:\n{}\n",
        brine::repr::bytes_repr(&my_pickled_object)
    );

    my_object.a_dict = None;

    let my_unpickled_object: ExampleClass = brine::from_slice(&my_pickled_object)?;
    println!(
        "This is a_dict of the unpickled object:\n{:?}\n",
        my_unpickled_object.a_dict
    );
    println!(
        "The original's a_dict is now {:?}; the copy is independent.",
        my_object.a_dict
    );

    // Without serde, the same bytes are a graph to inspect.
    let graph = brine::loads(&my_pickled_object)?;
    println!("As a graph: {graph:?}");
    Ok(())
}
