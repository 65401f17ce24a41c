//! Writing to a stream: bounded memory, and large payloads passed through without a copy.

use std::io::{self, Write};

use brine_value::{Graph, Node, Value};

/// A writer that records the address and length of every buffer it is handed.
#[derive(Default)]
struct Recorder {
    writes: Vec<(usize, usize)>,
    total: usize,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes.push((buf.as_ptr() as usize, buf.len()));
        self.total += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_large_bytes_node_is_written_from_its_own_buffer() {
    let payload = bytes::Bytes::from(vec![7u8; 64 << 20]);
    let mut graph = Graph::new();
    let node = graph.add(Node::Bytes(payload.clone()));
    graph.set_root(Value::Node(node));
    for proto in [3, 4, 5] {
        let recorder = brine_encode::to_writer(
            &graph,
            Recorder::default(),
            &brine_encode::Options::protocol(proto),
        )
        .expect("writing to memory works");
        let direct = recorder
            .writes
            .iter()
            .any(|&(ptr, len)| ptr == payload.as_ptr() as usize && len == payload.len());
        assert!(
            direct,
            "protocol {proto}: the payload was copied before writing"
        );
        assert!(recorder.total > payload.len());
    }
}

#[test]
fn framed_output_is_flushed_as_frames_fill() {
    // 200,000 small strs: about 2 MB of opcodes, written in frames of about 64 KiB.
    let mut graph = Graph::new();
    let items: Vec<Value> = (0..200_000)
        .map(|i| graph.add_str(&format!("item {i}")))
        .collect();
    let list = graph.add(Node::List(items));
    graph.set_root(Value::Node(list));
    let recorder = brine_encode::to_writer(
        &graph,
        Recorder::default(),
        &brine_encode::Options::protocol(4),
    )
    .expect("writing to memory works");
    let largest = recorder
        .writes
        .iter()
        .map(|&(_, len)| len)
        .max()
        .unwrap_or(0);
    assert!(recorder.total > 2_000_000);
    assert!(
        largest < 80 * 1024,
        "a write of {largest} bytes: output was not streamed"
    );
    let via_vec = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(4)).unwrap();
    assert_eq!(via_vec.len(), recorder.total);
}

/// `to_vec` writes its frames in place in the result; `to_writer` commits each to the
/// writer as it fills. The bytes are the same: frames of 64 KiB, small last frames, large
/// payloads outside frames, at every protocol.
#[test]
fn frames_written_in_place_are_the_frames_streamed() {
    let mut graph = Graph::new();
    let mut items: Vec<Value> = (0..30_000)
        .map(|i| graph.add_str(&format!("item {i}")))
        .collect();
    let large = graph.add(Node::Bytes(bytes::Bytes::from(vec![1u8; 100_000])));
    items.push(Value::Node(large));
    items.extend((0..3).map(Value::Int));
    let large = graph.add(Node::Bytes(bytes::Bytes::from(vec![2u8; 70_000])));
    items.push(Value::Node(large));
    let list = graph.add(Node::List(items));
    let small = graph.add(Node::List(vec![Value::Int(1)]));
    for root in [list, small] {
        graph.set_root(Value::Node(root));
        for proto in 0..=5 {
            let plain = brine_encode::Options::protocol(proto);
            // 3.6 frames everything (large payloads too) and writes frames of any size.
            let mut py36 = plain.clone();
            py36.flavour = Some(brine_value::Flavour::Py36);
            for options in [plain.clone(), plain.fast(), py36] {
                let in_place = brine_encode::to_vec(&graph, &options).expect("writes");
                let streamed =
                    brine_encode::to_writer(&graph, Vec::new(), &options).expect("writes");
                assert!(in_place == streamed, "{options:?}");
            }
        }
    }
}
