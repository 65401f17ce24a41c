//! The tutorial's "Picklable and Unpicklable Types": what cannot be pickled, and the error a
//! Rust user gets instead of Python's `PicklingError`.
//!
//! Python cannot pickle a lambda, a socket or a running thread; a brine graph cannot hold
//! those at all, so the errors that remain are about what a protocol can express.
//!
//! Run with `cargo run -p brine --example unpicklable`.

use brine::{Graph, Node, PickleBuffer, Value};

fn try_dump(what: &str, graph: &Graph, protocol: u8) {
    match brine::Pickler::new().protocol(protocol).dumps(graph) {
        Ok(pickle) => println!("{what} at protocol {protocol}: {} bytes", pickle.len()),
        Err(err) => println!("{what} at protocol {protocol}: error: {err}"),
    }
}

fn main() {
    // An out-of-band buffer needs protocol 5, as PickleBuffer does in Python.
    let mut graph = Graph::new();
    let data = Some(brine::Bytes::from_static(b"raw bytes"));
    let buffer = graph.add(Node::Buffer(Box::new(PickleBuffer {
        index: 0,
        readonly: true,
        data,
    })));
    graph.set_root(Value::Node(buffer));
    try_dump("a PickleBuffer", &graph, 4);
    try_dump("a PickleBuffer", &graph, 5);

    // A class with a non-ASCII name cannot be named below protocol 3.
    let mut graph = Graph::new();
    let module = graph.add_str("módulo");
    let name = graph.add_str("Clase");
    let global = graph.add(Node::Global { module, name });
    graph.set_root(Value::Node(global));
    try_dump("the global módulo.Clase", &graph, 2);
    try_dump("the global módulo.Clase", &graph, 3);

    // No Python object is a tuple that contains itself directly.
    let mut graph = Graph::new();
    let tuple = graph.add(Node::Tuple(Vec::new()));
    if let Node::Tuple(items) = graph.node_mut(tuple) {
        items.push(Value::Node(tuple));
    }
    graph.set_root(Value::Node(tuple));
    try_dump("a tuple containing itself", &graph, 4);

    // And a protocol beyond 5 does not exist.
    try_dump("None", &Graph::new(), 6);
}
