//! The unpickling machine over the whole CPython fixture corpus.

use brine_vm::{Options, StringEncoding};

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
        let from_slice = brine_vm::loads(&data, &options);
        let from_bytes = brine_vm::loads_bytes(bytes::Bytes::from(data.clone()), &options);
        let from_reader = brine_vm::load(&mut data.as_slice(), &options);
        match (from_slice, from_bytes, from_reader) {
            (Ok(a), Ok(b), Ok(c)) => {
                assert!(
                    a == b && b == c,
                    "{}: the three inputs disagree",
                    fixture.name()
                );
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
            let res = brine_vm::loads(&data[..cut], &options);
            let err = res.expect_err(&format!("{} cut at {cut} loaded", fixture.name()));
            assert!(err.is_eof(), "{} cut at {cut}: {err}", fixture.name());
            let res = brine_vm::load(&mut &data[..cut], &options);
            assert!(
                res.is_err(),
                "{} cut at {cut} loaded from a reader",
                fixture.name()
            );
            cuts += 1;
        }
    }
    println!("{cuts} truncations, every one an end-of-input error");
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
                errors += u64::from(brine_vm::loads(&data, &options).is_err());
                runs += 1;
            }
            data[pos] = original;
        }
    }
    println!("{runs} corrupted pickles loaded, {errors} of them errors, no panic");
}
