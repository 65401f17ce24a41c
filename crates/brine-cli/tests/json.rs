//! `brine json`: the fixtures against expectations, the whole corpus against what CPython
//! itself loads (python/describe_pickle.py), depth, limits and errors.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use brine_testdata::Fixture;

/// The options the fixtures need: latin1 for Python 2 strings and the extension codes
/// `brine_fixtures` registers.
const FIXTURE_ARGS: &[&str] = &[
    "--encoding",
    "latin1",
    "--ext",
    "241=brine_fixtures:ExtCode1",
    "--ext",
    "0xF1F2=brine_fixtures:ExtCode2",
    "--ext",
    "15856371=brine_fixtures:ExtCode4",
];

fn brine(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("brine runs");
    let mut input = child.stdin.take().expect("piped");
    // brine may stop reading early on an error; a broken pipe is then expected.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().expect("brine finishes")
}

fn json_of(fixture: &Fixture) -> Output {
    let path = fixture.full_path();
    let mut args = vec!["json"];
    args.extend_from_slice(FIXTURE_ARGS);
    let path = path.to_string_lossy();
    args.push(&path);
    brine(&args, b"")
}

fn fixture(name: &str) -> Fixture {
    brine_testdata::all()
        .into_iter()
        .find(|fixture| fixture.name() == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

fn check(name: &str, expect: &str) {
    let out = json_of(&fixture(name));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{expect}\n"),
        "{name}"
    );
}

#[test]
fn fixtures_print_their_expected_json() {
    // JSON data is plain JSON.
    check("py311/dict_small.p4", r#"{"a":1,"b":[2,3],"c":null}"#);
    check("py311/list_small.p2", r#"[1,"two",3.0,null,true]"#);
    check(
        "py311/str_escapes.p3",
        r#""a\nb\\c'd\"e\u0000f\tg\u007fh\r\\u0041""#.replace(r"\u007f", "\u{7f}").as_str(),
    );
    check("py311/int_2p63m1.p2", r#"{"$int":"9223372036854775807"}"#);
    check("py311/float_1e16.p1", "1e+16");
    check("py311/float_minf.p0", r#"{"$float":"-inf"}"#);
    // Python 2 str, decoded as latin1; Python 3 bytes, in both forms.
    check(
        "py27/py2str_nonascii.p2",
        "\"caf\u{c3}\u{a9} \u{e9}\u{ff}\\u0000\"",
    );
    check("py311/bytes_00ff.p0", r#"{"$bytes":"AP8="}"#);
    check("py311/bytes_00ff.p3", r#"{"$bytes":"AP8="}"#);
    check("py27/bytearray_00ff.p1", r#"{"$bytearray":"AP8="}"#);
    // Containers JSON has not, and keys that are not str.
    check("py311/tuple_2.p0", r#"{"$tuple":[1,2]}"#);
    check("py311/set_small.p2", r#"{"$set":[1,2,3]}"#);
    check("py27/set_str.p2", r#"{"$set":["a","b","c"]}"#);
    check("py311/frozenset_small.p4", r#"{"$frozenset":[1,2,3]}"#);
    check(
        "py311/dict_mixed_keys.p4",
        r#"{"$dict":[[1,"one"],["two",2],[{"$tuple":[3]},3.0],[null,false]]}"#,
    );
    check("py311/str_lone_high_surrogate.p1", r#"{"$str":[55296]}"#);
    // Sharing and cycles.
    check(
        "py311/shared_list_in_tuple.p2",
        r#"{"$tuple":[{"$id":1,"$list":[1,2]},{"$ref":1}]}"#,
    );
    check(
        "py311/list_self_ref.p0",
        r#"{"$id":1,"$list":[1,{"$ref":1}]}"#,
    );
    check(
        "py311/dict_self_ref.p3",
        r#"{"$id":1,"$dict":{"a":1,"self":{"$ref":1}}}"#,
    );
    check(
        "py311/tuple_recursive.p2",
        r#"{"$id":1,"$tuple":[[{"$ref":1}]]}"#,
    );
    // The standard library.
    check(
        "py27/datetime_naive.p1",
        r#"{"$datetime":"2024-02-29T13:45:30.123456"}"#,
    );
    check(
        "py311/datetime_fold.p4",
        r#"{"$datetime":"2024-11-03T01:30:00.000000","fold":1}"#,
    );
    check(
        "py36/datetime_offset.p2",
        r#"{"$datetime":"2024-02-29T13:45:30.000000","tzinfo":{"$timezone":[0,19800,0]}}"#,
    );
    check("py313/timedelta.p5", r#"{"$timedelta":[-1,3600,5]}"#);
    check("py27/decimal_neg_zero.p0", r#"{"$decimal":"-0"}"#);
    check("py27/fraction.p2", r#"{"$fraction":"-7/3"}"#);
    check("py311/complex.p2", r#"{"$complex":[1.5,-2.0]}"#);
    check("py311/range.p3", r#"{"$range":[1,10,2]}"#);
    check("py311/slice_none.p5", r#"{"$slice":[null,5,null]}"#);
    check("py27/ordereddict.p0", r#"{"$ordereddict":{"b":1,"a":2}}"#);
    check(
        "py311/defaultdict_list.p2",
        r#"{"$defaultdict":{"$global":["builtins","list"]},"items":{"a":[1,2]}}"#,
    );
    check("py311/counter.p4", r#"{"$counter":{"a":3,"b":1,"c":1}}"#);
    check("py36/deque_maxlen.p4", r#"{"$deque":[1,2,3],"maxlen":5}"#);
    check(
        "py311/enum.p3",
        r#"{"$call":{"$global":["brine_fixtures","Color"]},"args":[1]}"#,
    );
    // Instances and calls.
    check(
        "py27/class_plain.p0",
        r#"{"$instance":{"$global":["brine_fixtures","Plain"]},"state":{"a":1,"b":"two"}}"#,
    );
    check(
        "py311/class_slots.p2",
        r#"{"$instance":{"$global":["brine_fixtures","Slots"]},"slots":{"x":1,"y":"why"}}"#,
    );
    check(
        "py311/class_getstate.p1",
        r#"{"$instance":{"$global":["brine_fixtures","GetState"]},"setstate":{"$tuple":[3,"state"]}}"#,
    );
    check(
        "py313/class_getnewargs_ex.p2",
        r#"{"$instance":{"$global":["brine_fixtures","GetNewArgsEx"]},"args":[1],"kwargs":{"key":"k"},"state":{"a":1,"key":"k"}}"#,
    );
    check(
        "py311/class_nested.p3",
        r#"{"$instance":{"$global":["brine_fixtures","Outer.Inner"]},"state":{"value":7}}"#,
    );
    check(
        "py311/namedtuple.p0",
        r#"{"$instance":{"$global":["brine_fixtures","Point"]},"args":[1,"two"]}"#,
    );
    check(
        "py311/class_reduce_ex.p2",
        r#"{"$call":{"$global":["brine_fixtures","ReduceEx"]},"state":{"note":"note"},"listitems":[1,"two"],"dictitems":{"k":3}}"#,
    );
    check(
        "py311/class_self_ref.p5",
        r#"{"$id":1,"$instance":{"$global":["brine_fixtures","SelfRef"]},"state":{"me":{"$ref":1}}}"#,
    );
    check(
        "py311/ext_code4.p4",
        r#"{"$instance":{"$global":["brine_fixtures","ExtCode4"]}}"#,
    );
    check(
        "py27/global_builtin_len.p0",
        r#"{"$global":["builtins","len"]}"#,
    );
}

/// JSON-compatible values print as the JSON a JSON library reads back to the same value.
#[test]
fn json_data_is_plain_json() {
    for (name, expect) in [
        (
            "py311/dict_small.p2",
            serde_json::json!({"a": 1, "b": [2, 3], "c": null}),
        ),
        (
            "py27/nested_deep.p2",
            (0..100).fold(serde_json::json!([]), |inner, _| serde_json::json!([inner])),
        ),
        ("py311/str_astral.p4", serde_json::json!("\u{1F600}")),
        ("py311/float_0_1.p0", serde_json::json!(0.1)),
        (
            "py311/int_m2p31m1.p1",
            serde_json::json!(-2_147_483_649_i64),
        ),
    ] {
        let out = json_of(&fixture(name));
        let actual: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid json");
        assert_eq!(actual, expect, "{name}");
    }
}

/// Every fixture prints valid JSON, and never panics.
#[test]
fn every_fixture_prints_valid_json() {
    let fixtures = brine_testdata::all();
    for fixture in &fixtures {
        let out = json_of(fixture);
        assert!(
            out.status.success(),
            "{}: {}",
            fixture.name(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap_or_else(|err| panic!("{}: {err}", fixture.name()));
    }
    println!("{} fixtures printed as valid json", fixtures.len());
}

/// 100,000 nested lists (a pickle of `]` pushes and `a` appends: no MARK, so no VM limit)
/// are written without recursion.
#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    const DEPTH: usize = 100_000;
    let mut pickle = b"\x80\x02".to_vec();
    pickle.extend(std::iter::repeat_n(b']', DEPTH + 1));
    pickle.extend(std::iter::repeat_n(b'a', DEPTH));
    pickle.push(b'.');
    let out = brine(&["json", "-"], &pickle);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expect = format!("{}{}\n", "[".repeat(DEPTH + 1), "]".repeat(DEPTH + 1));
    assert!(out.stdout == expect.as_bytes());
}

#[test]
fn errors_are_reported_not_panics() {
    // Output past --max-output.
    let path = fixture("py311/str_large.p4").full_path();
    let out = brine(
        &["json", "--max-output", "1000", &path.to_string_lossy()],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exceed 1000 bytes"), "{stderr}");
    // A 2-byte pickle that refers to a 1,000-byte string 10,000 times stops at the default
    // limit only if it grows past it; with a small one it stops early.
    let mut pickle = b"\x80\x04\x8c\xff".to_vec();
    pickle.extend(std::iter::repeat_n(b'x', 255));
    pickle.extend(b"\x94(");
    for _ in 0..10_000 {
        pickle.extend(b"h\x00");
    }
    pickle.extend(b"l.");
    let out = brine(&["json", "--max-output", "100000"], &pickle);
    assert_eq!(out.status.code(), Some(1));
    // A bad extension argument, an unknown encoding, a malformed pickle.
    for (args, input, message) in [
        (&["json", "--ext", "241"][..], &b"N."[..], "bad extension"),
        (
            &["json", "--encoding", "rot13"][..],
            &b"N."[..],
            "unknown encoding",
        ),
        (&["json"][..], &b"\x80\x02]q\x00"[..], "error"),
        (
            &["json"][..],
            &b"\x80\x02\x82\x00."[..],
            "EXT specifies code",
        ),
    ] {
        let out = brine(args, input);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("brine: error: ") && stderr.contains(message),
            "{stderr}"
        );
    }
}

/// Fixtures whose JSON cannot match Python's, by design.
fn differential_exclusion(fixture: &Fixture) -> Option<&'static str> {
    match fixture.object.as_str() {
        // INST/OBJ with arguments make Python 3 call the class, so `__init__` runs and the
        // live object's dict is whatever `__init__` and BUILD made of it (in another order);
        // brine records the arguments and the state as the pickle gives them.
        "class_oldstyle_initargs" => Some("INST/OBJ with arguments runs __init__ in Python"),
        _ => None,
    }
}

/// Runs python/describe_pickle.py on the files, one line of output per file.
fn describe(python: &Path, paths: &[PathBuf]) -> Vec<Vec<u8>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/describe_pickle.py");
    let list: String = paths
        .iter()
        .map(|path| format!("{}\n", path.display()))
        .collect();
    let mut child = Command::new(python)
        .arg(&script)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", python.display()));
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(list.as_bytes())
        .expect("python reads the paths");
    let described = child.wait_with_output().expect("python finishes");
    assert!(
        described.status.success(),
        "describe_pickle.py failed: {}",
        String::from_utf8_lossy(&described.stderr)
    );
    let mut lines: Vec<Vec<u8>> = described
        .stdout
        .split(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(
        lines.pop().as_deref(),
        Some(&b""[..]),
        "output ends with a newline"
    );
    assert_eq!(lines.len(), paths.len(), "one line per file");
    lines
}

/// `brine json` prints, byte for byte, what python/describe_pickle.py prints for the object
/// CPython 3.11 loads from the same pickle, for every fixture.
#[test]
fn json_matches_what_cpython_loads() {
    let python = match brine_python::reference() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let fixtures = brine_testdata::all();
    let paths: Vec<PathBuf> = fixtures.iter().map(Fixture::full_path).collect();
    let lines = describe(&python, &paths);

    let (mut matched, mut excluded, mut python_failed) = (0, 0, 0);
    let mut mismatches = Vec::new();
    for (fixture, expect) in fixtures.iter().zip(&lines) {
        let expect = expect.as_slice();
        if expect.starts_with(b"!") {
            python_failed += 1;
            mismatches.push(format!(
                "{}: python: {}",
                fixture.name(),
                String::from_utf8_lossy(expect)
            ));
            continue;
        }
        let out = json_of(fixture);
        let actual = out.stdout.strip_suffix(b"\n").unwrap_or(&out.stdout);
        if actual == expect {
            matched += 1;
            assert!(
                differential_exclusion(fixture).is_none(),
                "{} is excluded but matches",
                fixture.name()
            );
        } else if differential_exclusion(fixture).is_some() {
            excluded += 1;
        } else {
            mismatches.push(format!(
                "{}:\n  brine  {}\n  python {}",
                fixture.name(),
                String::from_utf8_lossy(&actual[..actual.len().min(300)]),
                String::from_utf8_lossy(&expect[..expect.len().min(300)])
            ));
        }
    }
    println!(
        "{matched} fixtures match CPython {}, {excluded} excluded by design, {python_failed} python could not load",
        python.display()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}

/// Objects beyond the corpus, pickled by CPython at every protocol: sets of every kind of
/// item, `$` keys, lone surrogates, sharing inside sets, containers with attributes.
const EXTRA_OBJECTS: &str = r#"
import collections, datetime, decimal, fractions, os, pickle, sys
sys.path.insert(0, sys.argv[2])
import brine_fixtures as bf
shared = [1]
b = bytearray(b"x")
od = collections.OrderedDict(a=1)
od.x = 5
pst = datetime.timezone(datetime.timedelta(hours=-8), "PST")
dt = datetime.datetime(2000, 1, 2, 3, 4, 5, 6, tzinfo=pst)
objects = [
    {(1, 2), (0, "a"), (1,), ("b",)},
    frozenset({frozenset({1}), frozenset({2, 3}), frozenset()}),
    {None, False, 2, 2.5, "a", b"b", (1,)},
    {-1, 10, 2 ** 70, -(2 ** 70), 2 ** 53, -(2 ** 53)},
    {float("nan"), -0.0, float("inf"), -1.5},
    {"\ud800", "a", "\U0001f600", "\uffff"},
    {bf.Plain(2, "b"), bf.Plain(1, "a")},
    {bf.Color.GREEN, bf.Color.RED},
    [shared, (shared,), {"k": shared}, {(5, "t"): shared}],
    {"$ref": 1, "a": 2},
    {"\ud800": 1, "b": "\udc00"},
    od,
    collections.deque([[1]], maxlen=2),
    collections.defaultdict(None),
    collections.Counter(),
    [dt, dt, dt.time(), dt.timetz(), dt.date()],
    [range(0), range(-5, 5, 3), slice(None), slice(shared, shared)],
    [decimal.Decimal("1.10"), decimal.Decimal("-sNaN7"), fractions.Fraction(1, 3)],
    complex(float("nan"), 1),
    [b, b, bytes(300)],
    [(), (), frozenset(), 2 ** 100],
    bf.Slots(shared, shared),
]
for idx, obj in enumerate(objects):
    for protocol in range(6):
        try:
            data = pickle.dumps(obj, protocol)
        except TypeError:  # __slots__ below protocol 2
            continue
        with open(os.path.join(sys.argv[1], "extra_%02d.p%d.pickle" % (idx, protocol)), "wb") as f:
            f.write(data)
"#;

/// The same comparison as `json_matches_what_cpython_loads`, on `EXTRA_OBJECTS`.
#[test]
fn json_matches_cpython_on_extra_objects() {
    let python = match brine_python::reference() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let dir = std::env::temp_dir().join(format!("brine-json-extra-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let generate = brine_testdata::fixtures_dir().join("generate");
    let made = Command::new(&python)
        .args(["-c", EXTRA_OBJECTS])
        .arg(&dir)
        .arg(&generate)
        .output()
        .expect("python runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("temp dir")
        .map(|entry| entry.expect("entry").path())
        .collect();
    paths.sort();
    let lines = describe(&python, &paths);
    let mut mismatches = Vec::new();
    for (path, expect) in paths.iter().zip(&lines) {
        let out = brine(&["json", &path.to_string_lossy()], b"");
        let actual = out.stdout.strip_suffix(b"\n").unwrap_or(&out.stdout);
        if actual != expect.as_slice() {
            mismatches.push(format!(
                "{}:\n  brine  {}{}\n  python {}",
                path.display(),
                String::from_utf8_lossy(actual),
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(expect)
            ));
        }
    }
    std::fs::remove_dir_all(&dir).expect("temp dir removed");
    println!(
        "{} extra pickles match CPython",
        paths.len() - mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
