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
