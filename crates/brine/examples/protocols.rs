//! The tutorial's "Protocol Formats": the same object written at each protocol 0 to 5, and
//! what each one writes (the opcodes, as pickletools shows them).
//!
//! Run with `cargo run -p brine --example protocols`.

use brine::{Graph, Node, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // ("hey", [1, 2, 3], b"\x00\xff", {1.5})
    let mut graph = Graph::new();
    let text = graph.add_str("hey");
    let list = graph.add(Node::List(vec![
        Value::Int(1),
        Value::Int(2),
        Value::Int(3),
    ]));
    let data = graph.add(Node::Bytes(brine::Bytes::from_static(b"\x00\xff")));
    let set = graph.add(Node::Set(vec![Value::Float(1.5)]));
    let tuple = graph.add(Node::Tuple(vec![
        text,
        Value::Node(list),
        Value::Node(data),
        Value::Node(set),
    ]));
    graph.set_root(Value::Node(tuple));

    for protocol in 0..=brine::HIGHEST_PROTOCOL {
        let pickle = brine::Pickler::new().protocol(protocol).dumps(&graph)?;
        println!("protocol {protocol}: {} bytes", pickle.len());
        println!("  {:?}", String::from_utf8_lossy(&pickle));
        let mut text = Vec::new();
        brine::dis(&pickle, &mut text, &Default::default())?;
        for line in String::from_utf8(text)?.lines() {
            println!("    {line}");
        }
        // Every protocol reads back to the same values (sets and bytes below protocols 4 and
        // 3 come back as the calls that rebuild them).
        let back = brine::loads(&pickle)?;
        println!("  loads back as {back:?}\n");
    }
    Ok(())
}
