//! Arbitrary bytes through the disassembler, from a slice and from a reader: the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = brine_lex::DisOptions::default();
    let mut from_slice = Vec::new();
    let res_slice = brine_lex::dis(data, &mut from_slice, &options);
    let mut from_reader = Vec::new();
    let res_reader = brine_lex::dis_reader(data, &mut from_reader, &options);
    assert_eq!(from_slice, from_reader);
    assert_eq!(res_slice.is_ok(), res_reader.is_ok());
});
