//! The unpickling machine over the whole CPython fixture corpus.

use std::io::BufReader;

use brine_testdata::Trickle;
use brine_value::Graph;
use brine_value::StringEncoding;
use brine_vm::{Error, Options};

/// The options a Python user would pass for these fixtures: the codes `brine_fixtures`
/// registers with `copyreg.add_extension`, and latin1 for Python 2 strings.
fn fixture_options() -> Options {
    let mut options = Options::default();
    options.encoding = StringEncoding::Latin1;
    for (code, module, name) in brine_testdata::EXTENSION_CODES {
        options
            .extensions
            .add(code, module, name)
            .expect("distinct codes");
    }
    options
}

#[test]
fn every_fixture_decodes() {
    let options = fixture_options();
    let fixtures = brine_testdata::all();
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let data = fixture.bytes();
        let from_slice = brine_vm::from_slice(&data, &options);
        let from_bytes = brine_vm::from_bytes(bytes::Bytes::from(data.clone()), &options);
        let from_reader = brine_vm::from_reader(&mut data.as_slice(), &options);
        match (from_slice, from_bytes, from_reader) {
            (Ok(a), Ok(b), Ok(c)) => {
                assert!(
                    a == b && b == c,
                    "{}: the three inputs disagree",
                    fixture.name()
                );
                for (reader, res) in small_readers(&data, &options) {
                    let graph =
                        res.unwrap_or_else(|err| panic!("{} from {reader}: {err}", fixture.name()));
                    assert!(graph == a, "{} from {reader} differs", fixture.name());
                }
            }
            (a, b, c) => failures.push(format!(
                "{}: {:?} / {:?} / {:?}",
                fixture.name(),
                a.err().map(|e| e.to_string()),
                b.err().map(|e| e.to_string()),
                c.err().map(|e| e.to_string())
            )),
        }
    }
    println!(
        "{} fixtures decoded from a slice, shared bytes and a reader",
        fixtures.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Loads `data` from readers whose buffers are smaller than most opcodes and frames: through a
/// `BufReader` of 7 bytes, and one byte at a time.
fn small_readers(data: &[u8], options: &Options) -> [(&'static str, Result<Graph, Error>); 2] {
    [
        (
            "a 7-byte BufReader",
            brine_vm::from_reader(BufReader::with_capacity(7, data), options),
        ),
        (
            "a 1-byte reader",
            brine_vm::from_reader(Trickle(data), options),
        ),
    ]
}

/// Where to cut or corrupt a fixture: every position of a small one, a spread of positions
/// (and both ends) of a large one.
fn positions(len: usize) -> Vec<usize> {
    if len <= 1024 {
        return (0..len).collect();
    }
    let mut positions: Vec<usize> = (0..64).chain(len - 64..len).collect();
    positions.extend((0..len).step_by(len / 256));
    positions.sort_unstable();
    positions.dedup();
    positions
}

#[test]
fn every_truncation_is_an_error() {
    let options = fixture_options();
    let mut cuts = 0u64;
    for fixture in brine_testdata::all() {
        let data = fixture.bytes();
        // The pickle ends at its STOP; cutting anywhere before the end must fail.
        for cut in positions(data.len()) {
            let res = brine_vm::from_slice(&data[..cut], &options);
            let err = res.expect_err(&format!("{} cut at {cut} loaded", fixture.name()));
            assert!(err.is_eof(), "{} cut at {cut}: {err}", fixture.name());
            // From a reader, the same error at the same offset.
            let expect = err.to_string();
            let res = brine_vm::from_reader(&mut &data[..cut], &options);
            let err = res.expect_err(&format!(
                "{} cut at {cut} loaded from a reader",
                fixture.name()
            ));
            assert_eq!(err.to_string(), expect, "{} cut at {cut}", fixture.name());
            for (reader, res) in small_readers(&data[..cut], &options) {
                let err = res.expect_err(&format!(
                    "{} cut at {cut} loaded from {reader}",
                    fixture.name()
                ));
                assert_eq!(
                    err.to_string(),
                    expect,
                    "{} cut at {cut} from {reader}",
                    fixture.name()
                );
            }
            cuts += 1;
        }
    }
    println!("{cuts} truncations, every one an end-of-input error, the same from readers");
}

#[test]
fn single_byte_corruptions_give_a_graph_or_an_error() {
    let options = fixture_options();
    let mut runs = 0u64;
    let mut errors = 0u64;
    for fixture in brine_testdata::all() {
        let mut data = fixture.bytes();
        let positions = positions(data.len());
        let positions = if data.len() > 4096 {
            &positions[..positions.len().min(64)]
        } else {
            &positions[..]
        };
        for &pos in positions {
            let original = data[pos];
            for replacement in [
                0x00,
                b'(',
                b'.',
                b'h',
                0x80,
                0x95,
                0xff,
                original.wrapping_add(1),
            ] {
                data[pos] = replacement;
                errors += u64::from(brine_vm::from_slice(&data, &options).is_err());
                runs += 1;
            }
            data[pos] = original;
        }
    }
    println!("{runs} corrupted pickles loaded, {errors} of them errors, no panic");
}

#[test]
fn back_to_back_pickles_load_one_by_one_from_one_reader() {
    // Every fixture that loads and ends at its STOP, one after the other in one stream: each
    // load must stop right after its STOP, whatever the reader buffered beyond it.
    let options = fixture_options();
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for fixture in brine_testdata::all() {
        let data = fixture.bytes();
        let mut lexer = brine_lex::Lexer::new(&data);
        let ends_at_stop = lexer.by_ref().all(|res| res.is_ok()) && lexer.position() == data.len();
        if let (true, Ok(graph)) = (ends_at_stop, brine_vm::from_slice(&data, &options)) {
            stream.extend_from_slice(&data);
            expected.push((fixture.name(), graph));
        }
    }
    stream.extend_from_slice(b"tail");
    let check = |name: &str, reader: &mut dyn FnMut() -> Result<Graph, Error>| {
        for (fixture, graph) in &expected {
            let loaded = reader().unwrap_or_else(|err| panic!("{fixture} from {name}: {err}"));
            assert!(loaded == *graph, "{fixture} from {name} differs");
        }
    };
    let mut slice = stream.as_slice();
    check("a slice", &mut || {
        brine_vm::from_reader(&mut slice, &options)
    });
    assert_eq!(slice, b"tail");
    let mut buffered = BufReader::with_capacity(7, stream.as_slice());
    check("a 7-byte BufReader", &mut || {
        brine_vm::from_reader(&mut buffered, &options)
    });
    assert_eq!(std::io::Read::bytes(buffered).count(), 4);
    let mut trickle = Trickle(&stream);
    check("a 1-byte reader", &mut || {
        brine_vm::from_reader(&mut trickle, &options)
    });
    assert_eq!(trickle.0, b"tail");
    println!("{} pickles loaded back to back", expected.len());
}

/// One decoder reused over the whole corpus gives exactly what a fresh one gives, even when
/// the load before failed halfway through a pickle (leaving its stack, marks and memo full):
/// the same arena node for node, the same effects, memoization and flavour, and the same
/// errors.
#[test]
fn a_reused_decoder_decodes_as_a_fresh_one() {
    let options = fixture_options();
    let mut reused = brine_vm::Decoder::new(options.clone());
    let mut loads = 0u64;
    for fixture in brine_testdata::all() {
        let data = fixture.bytes();
        let name = fixture.name();
        let shared = bytes::Bytes::from(data.clone());
        for cut in [data.len() / 2, data.len() - 1, data.len()] {
            let input = &data[..cut];
            let fresh = brine_vm::from_slice(input, &options);
            assert_same(
                &reused.from_slice(input),
                &fresh,
                &format!("{name} cut at {cut}"),
            );
            let fresh_reader = brine_vm::from_reader(input, &options);
            let again = reused.from_reader(input);
            assert_same(
                &again,
                &fresh_reader,
                &format!("{name} cut at {cut}, reader"),
            );
            let fresh_partial = brine_vm::Decoder::new(options.clone()).partial_from_slice(input);
            let partial = reused.partial_from_slice(input);
            let what = format!("{name} cut at {cut}, partial");
            assert_eq!(partial.end, fresh_partial.end, "{what}");
            assert_eq!(partial.origins, fresh_partial.origins, "{what}");
            assert_eq!(partial.open_marks, fresh_partial.open_marks, "{what}");
            assert_eq!(
                partial.error.map(|err| err.to_string()),
                fresh_partial.error.map(|err| err.to_string()),
                "{what}"
            );
            assert_same_graph(&partial.graph, &fresh_partial.graph, &what);
            loads += 3;
        }
        let fresh = brine_vm::from_bytes(shared.clone(), &options);
        assert_same(
            &reused.from_bytes(&shared),
            &fresh,
            &format!("{name}, shared"),
        );
        loads += 1;
    }
    println!("{loads} loads through one decoder, each the same as a fresh decoder's");
}

fn assert_same(reused: &Result<Graph, Error>, fresh: &Result<Graph, Error>, what: &str) {
    match (reused, fresh) {
        (Ok(reused), Ok(fresh)) => assert_same_graph(reused, fresh, what),
        (Err(reused), Err(fresh)) => {
            assert_eq!(reused.to_string(), fresh.to_string(), "{what}");
            assert_eq!(reused.offset(), fresh.offset(), "{what}");
        }
        (reused, fresh) => panic!(
            "{what}: reused {:?}, fresh {:?}",
            reused.as_ref().err().map(|err| err.to_string()),
            fresh.as_ref().err().map(|err| err.to_string())
        ),
    }
}

/// The same arena, node for node, with the same root, effects, memoization and flavour.
fn assert_same_graph(reused: &Graph, fresh: &Graph, what: &str) {
    assert!(reused == fresh, "{what}: the graphs differ");
    assert_eq!(reused.len(), fresh.len(), "{what}");
    assert_eq!(reused.flavour(), fresh.flavour(), "{what}");
    assert_eq!(format!("{reused:?}"), format!("{fresh:?}"), "{what}");
    assert_eq!(reused.effects(), fresh.effects(), "{what}");
    for index in 0..fresh.len() {
        let id = brine_value::NodeId::from_index(index).expect("an index below the length");
        assert_eq!(
            reused.try_node(id),
            fresh.try_node(id),
            "{what}: node {index}"
        );
        assert_eq!(
            reused.changes(id),
            fresh.changes(id),
            "{what}: node {index}"
        );
        for protocol in 0..=5 {
            assert_eq!(
                reused.memoized(id, protocol),
                fresh.memoized(id, protocol),
                "{what}: node {index} at protocol {protocol}"
            );
        }
    }
}

/// What one load stored in the memo, dense or sparse, is gone for the next: a GET of it is
/// the error a fresh decoder gives.
#[test]
fn a_reused_decoder_forgets_the_memo() {
    let options = fixture_options();
    let mut reused = brine_vm::Decoder::new(options.clone());
    // EMPTY_LIST, LONG_BINPUT 100000 (far beyond the dense keys), BINPUT 0, STOP.
    let put = b"\x80\x02]r\xa0\x86\x01\x00q\x00.";
    let graph = reused.from_slice(put).expect("a list");
    assert_eq!(format!("{graph:?}"), "[]");
    // LONG_BINGET 100000, STOP; then BINGET 0, STOP; then a pickle cut after its PUTs.
    for get in [
        &b"\x80\x02j\xa0\x86\x01\x00."[..],
        b"\x80\x02h\x00.",
        b"\x80\x02]q\x00",
    ] {
        let fresh = brine_vm::from_slice(get, &options);
        let err = fresh.as_ref().expect_err("nothing was stored");
        assert_same(&reused.from_slice(get), &fresh, &format!("{get:?}: {err}"));
        assert_same(
            &reused.from_slice(put),
            &Ok(graph.clone()),
            "the list again",
        );
    }
}
