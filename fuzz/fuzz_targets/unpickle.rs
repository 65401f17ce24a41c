//! Arbitrary bytes through the unpickling machine with default limits, from a slice, from
//! shared bytes and from a reader: an error or a graph, never a panic or runaway memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = brine_vm::Options::default();
    let from_slice = brine_vm::from_slice(data, &options);
    let from_reader = brine_vm::from_reader(&mut &data[..], &options);
    assert_eq!(
        from_slice.is_ok(),
        from_reader.is_ok(),
        "slice and reader disagree"
    );
    if let Ok(graph) = from_slice {
        // Whatever loads can be written again at the highest protocol.
        let _ = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(5));
        let _ = format!("{graph:?}");
    }
});
