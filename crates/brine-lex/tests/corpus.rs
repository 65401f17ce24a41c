//! The lexer and disassembler over the whole CPython fixture corpus.

use brine_lex::{DisOptions, Lexer, StreamLexer, dis, lex_op};

/// Every fixture disassembles to exactly the text `python3.11 -m pickletools` printed, and
/// fails where pickletools failed.
#[test]
fn dis_matches_pickletools_for_every_fixture() {
    let fixtures = brine_testdata::all();
    assert!(!fixtures.is_empty(), "the fixture corpus is empty");
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let mut out = Vec::new();
        let res = dis(&fixture.bytes(), &mut out, &DisOptions::default());
        if out != fixture.dis_text() {
            failures.push(format!("{}: output differs", fixture.name()));
        } else if res.is_ok() != fixture.dis_ok {
            failures.push(format!(
                "{}: brine says {:?}, pickletools said {:?}",
                fixture.name(),
                res.err().map(|err| err.to_string()),
                fixture.dis_error
            ));
        }
    }
    let failed_dis = fixtures.iter().filter(|f| !f.dis_ok).count();
    println!(
        "{} fixtures disassembled, {} of them faults that pickletools also reports; {} mismatches",
        fixtures.len(),
        failed_dis,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The ops of a fixture, with the offset where each one ends.
fn op_spans(data: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut pos = 0;
    loop {
        match lex_op(data, pos) {
            Ok((op, next)) => {
                spans.push((pos, next));
                pos = next;
                if op.code == brine_lex::Opcode::STOP {
                    return spans;
                }
            }
            Err(err) => panic!("fixtures lex cleanly, but got {err}"),
        }
    }
}

/// Cutting a pickle anywhere makes the opcode that straddles the cut an error, never a panic
/// and never a shorter value.
#[test]
fn every_truncation_of_every_fixture_is_an_error() {
    let mut cuts = 0u64;
    for fixture in &brine_testdata::all() {
        let data = fixture.bytes();
        for (start, end) in op_spans(&data) {
            for cut in start..end {
                let err = lex_op(&data[..cut], start)
                    .map(|(op, _)| op.code)
                    .expect_err(&format!("{} cut at {cut} lexed", fixture.name()));
                assert!(err.is_eof(), "{} cut at {cut}: {err}", fixture.name());
                assert_eq!(err.offset(), start as u64);
                cuts += 1;
            }
        }
    }
    println!("{cuts} truncations, every one an error");
}

/// The streaming lexer agrees with the slice lexer on whole fixtures and on every truncation
/// of the small ones.
#[test]
fn stream_lexer_agrees_with_slice_lexer() {
    let mut checked = 0;
    for fixture in &brine_testdata::all() {
        let data = fixture.bytes();
        let cuts: Vec<usize> = if data.len() <= 512 {
            (0..=data.len()).collect()
        } else {
            vec![data.len()]
        };
        for cut in cuts {
            let input = &data[..cut];
            let from_slice: Vec<String> = Lexer::new(input).map(|res| format!("{res:?}")).collect();
            let mut reader = input;
            let mut lexer = StreamLexer::new(&mut reader);
            let mut from_stream = Vec::new();
            loop {
                match lexer.next_op() {
                    Ok(Some((offset, op))) => {
                        from_stream.push(format!("{:?}", Ok::<_, ()>((offset as usize, op))))
                    }
                    Ok(None) => break,
                    Err(brine_lex::ReadError::Lex(err)) => {
                        from_stream.push(format!("{:?}", Err::<(), _>(err)));
                        break;
                    }
                    Err(err) => panic!("{err}"),
                }
            }
            assert_eq!(from_stream, from_slice, "{} cut at {cut}", fixture.name());
            checked += 1;
        }
    }
    println!("{checked} inputs lexed both ways");
}

/// Overwriting any single byte of a small fixture gives opcodes or an error, never a panic.
#[test]
fn single_byte_corruptions_never_panic() {
    let mut runs = 0u64;
    for fixture in brine_testdata::all()
        .iter()
        .filter(|f| f.bytes().len() <= 256)
    {
        let mut data = fixture.bytes();
        for pos in 0..data.len() {
            let original = data[pos];
            for replacement in [0x00, 0x0a, 0x7f, 0x80, 0xff, original ^ 0x01] {
                data[pos] = replacement;
                let _ = Lexer::new(&data).count();
                let mut out = Vec::new();
                let _ = dis(&data, &mut out, &DisOptions::default());
                runs += 1;
            }
            data[pos] = original;
        }
    }
    println!("{runs} corrupted inputs lexed and disassembled without a panic");
}
