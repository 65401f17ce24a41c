//! Arbitrary graphs (shared references, cycles) encoded at each protocol and decoded back:
//! at protocol 5 the same graph, and at every protocol a fixed point of decode-then-encode
//! (the decoded graph decodes from its own re-encoding, which encodes to the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|graph: brine_value::Graph| {
    for proto in 0..=5 {
        let options = brine_encode::Options::protocol(proto);
        let pickle = brine_encode::to_vec(&graph, &options).expect("arbitrary graphs encode");
        let decoded =
            brine_vm::from_slice(&pickle, &Default::default()).expect("own output decodes");
        if proto == 5 {
            assert!(decoded == graph, "protocol 5 changed the graph");
        }
        let again = brine_encode::to_vec(&decoded, &options).expect("decoded graphs encode");
        let redecoded =
            brine_vm::from_slice(&again, &Default::default()).expect("own output decodes");
        assert!(
            redecoded == decoded,
            "protocol {proto}: the re-encoding decodes to another graph"
        );
        let third = brine_encode::to_vec(&redecoded, &options).expect("decoded graphs encode");
        assert_eq!(again, third, "protocol {proto} is not a fixed point");
    }
});
