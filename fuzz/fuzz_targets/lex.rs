//! Arbitrary bytes through the slice lexer and the stream lexer, which must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let from_slice: Vec<String> = brine_lex::Lexer::new(data)
        .map(|res| format!("{res:?}"))
        .collect();
    let mut reader = data;
    let mut lexer = brine_lex::StreamLexer::new(&mut reader);
    let mut from_stream = Vec::new();
    loop {
        match lexer.next_op() {
            Ok(Some((offset, op))) => {
                from_stream.push(format!("{:?}", Ok::<_, ()>((offset as usize, op))));
            }
            Ok(None) => break,
            Err(brine_lex::ReadError::Lex(err)) => {
                from_stream.push(format!("{:?}", Err::<(), _>(err)));
                break;
            }
            Err(err) => panic!("a slice reader failed: {err}"),
        }
    }
    assert_eq!(from_slice, from_stream);
});
