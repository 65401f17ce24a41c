//! Differential tests against CPython 3.11.7: Rust values written at every protocol are loaded
//! by `pickle.loads` (python/serde_differential.py) into the expected Python objects: dicts,
//! lists, sets, big ints, and real instances of `brine_fixtures` classes. Where the Python
//! object is well-defined (plain data, and instances of plain classes), the bytes are also
//! those `pickle.dumps` writes for it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use brine_serde::{Options, PyClass, PyInstance};
use serde::Serialize;
use serde_bytes::ByteBuf;

/// The cases, written as the script reads them.
#[derive(Default)]
struct Cases {
    lines: String,
    count: usize,
}

impl Cases {
    /// `value` at each of `protocols`, which Python must load as `expected` (see the script
    /// for `mode`); where the bytes are compared, also in fast mode (`Options::fast`)
    /// against `Pickler.fast = True`.
    fn add<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
        options: &Options,
        protocols: std::ops::RangeInclusive<u8>,
        mode: &str,
        expected: &str,
    ) {
        self.add_one(name, value, options, protocols.clone(), mode, expected);
        if mode.ends_with("bytes") {
            let mut fast = options.clone();
            fast.fast = true;
            let (name, mode) = (format!("{name}.fast"), format!("{mode}-fast"));
            self.add_one(&name, value, &fast, protocols, &mode, expected);
        }
    }

    fn add_one<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
        options: &Options,
        protocols: std::ops::RangeInclusive<u8>,
        mode: &str,
        expected: &str,
    ) {
        for protocol in protocols {
            let mut options = options.clone();
            options.protocol = protocol;
            let pickle = brine_serde::to_vec(value, &options)
                .unwrap_or_else(|err| panic!("{name} at protocol {protocol}: {err}"));
            let hex = pickle.iter().fold(String::new(), |mut out, byte| {
                let _ = write!(out, "{byte:02x}");
                out
            });
            let _ = writeln!(
                self.lines,
                "{name}.p{protocol}\t{protocol}\t{mode}\t{hex}\t{expected}"
            );
            self.count += 1;
        }
    }
}

#[derive(Serialize)]
struct Record {
    name: String,
    count: i64,
    ratio: f64,
    missing: Option<i64>,
    flags: Vec<bool>,
}

#[derive(Serialize)]
struct Row {
    label: String,
    score: u32,
}

#[derive(Serialize)]
enum Shape {
    Empty,
    Circle(f64),
    Rect { w: u32, h: u32 },
    Pair(i8, String),
}

#[derive(Serialize)]
struct Plain {
    a: i64,
    b: String,
}

#[derive(Serialize)]
struct Slots {
    x: i64,
    y: String,
}

#[derive(Serialize)]
struct Point(i64, String);

#[derive(Serialize)]
struct Inner {
    value: i64,
}

#[derive(Serialize)]
struct GetState((i64, String));

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Group(#[serde(with = "brine_serde::as_frozenset")] BTreeSet<i64>);

#[derive(Serialize)]
struct Tagged {
    #[serde(with = "brine_serde::as_set")]
    tags: BTreeSet<String>,
}

fn cases() -> Cases {
    let all = 0..=5;
    let plain_data = Options::default();
    let mut cases = Cases::default();

    // Plain data: the bytes are CPython's.
    let record = Record {
        name: "brine".into(),
        count: -3,
        ratio: 0.1,
        missing: None,
        flags: vec![true, false],
    };
    cases.add(
        "record",
        &record,
        &plain_data,
        all.clone(),
        "bytes",
        "{'name': 'brine', 'count': -3, 'ratio': 0.1, 'missing': None, 'flags': [True, False]}",
    );
    let rows = vec![
        Row {
            label: "first".into(),
            score: 10,
        },
        Row {
            label: "second".into(),
            score: 20,
        },
    ];
    cases.add(
        "rows_share_their_keys",
        &rows,
        &plain_data,
        all.clone(),
        "bytes",
        "[{'label': 'first', 'score': 10}, {'label': 'second', 'score': 20}]",
    );
    cases.add(
        "ints",
        &(
            0u8,
            -1i8,
            255u16,
            65536u32,
            i64::MIN,
            u64::MAX,
            i128::MIN,
            u128::MAX,
        ),
        &plain_data,
        all.clone(),
        "bytes",
        "(0, -1, 255, 65536, -2**63, 2**64 - 1, -2**127, 2**128 - 1)",
    );
    cases.add(
        "floats",
        &vec![
            0.0,
            -0.0,
            1.5,
            1e308,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ],
        &plain_data,
        all.clone(),
        "bytes",
        "[0.0, -0.0, 1.5, 1e308, math.inf, -math.inf, math.nan]",
    );
    cases.add(
        "text",
        &(
            "caf\u{e9}",
            '\u{1F600}',
            "line\nbreak\\",
            "\u{4e2d}\u{6587}",
        ),
        &plain_data,
        all.clone(),
        "bytes",
        "('caf\\xe9', '\\U0001F600', 'line\\nbreak\\\\', '\\u4e2d\\u6587')",
    );
    cases.add(
        "bytes",
        &(
            ByteBuf::from(b"\x00\xff".to_vec()),
            ByteBuf::from(Vec::new()),
            ByteBuf::from(b"hello".to_vec()),
        ),
        &plain_data,
        all.clone(),
        "bytes",
        "(b'\\x00\\xff', b'', b'hello')",
    );
    cases.add(
        "unit_and_none",
        &((), None::<i64>, Some(7)),
        &plain_data,
        all.clone(),
        "bytes",
        "(None, None, 7)",
    );
    cases.add(
        "set",
        &Tagged {
            tags: ["x".to_owned(), "yz".to_owned()].into(),
        },
        &plain_data,
        all.clone(),
        "value",
        "{'tags': {'x', 'yz'}}",
    );
    cases.add(
        "set_bytes",
        &Group([1, 2, 3].into()),
        &plain_data,
        all.clone(),
        "bytes",
        "frozenset({1, 2, 3})",
    );
    cases.add(
        "keys",
        &(
            BTreeMap::from([((1, "a".to_owned()), true)]),
            BTreeMap::from([(Group([5].into()), "five".to_owned())]),
            BTreeMap::from([(None, 0), (Some(-1), 1)]),
            BTreeMap::from([(ByteBuf::from(b"k".to_vec()), 1.5)]),
            BTreeMap::from([(false, ()), (true, ())]),
        ),
        &plain_data,
        all.clone(),
        "value",
        "({(1, 'a'): True}, {frozenset({5}): 'five'}, {None: 0, -1: 1}, {b'k': 1.5}, {False: None, True: None})",
    );
    cases.add(
        "enums",
        &vec![
            Shape::Empty,
            Shape::Circle(1.5),
            Shape::Rect { w: 1, h: 2 },
            Shape::Pair(-1, "p".into()),
        ],
        &plain_data,
        all.clone(),
        "bytes",
        "['Empty', {'Circle': 1.5}, {'Rect': {'w': 1, 'h': 2}}, {'Pair': (-1, 'p')}]",
    );

    // Instances of brine_fixtures classes: real instances in Python.
    let plain_class = Options::default().class("Plain", PyClass::new("brine_fixtures", "Plain"));
    cases.add(
        "plain",
        &Plain {
            a: 1,
            b: "two".into(),
        },
        &plain_class,
        all.clone(),
        "instance-bytes",
        "bf.Plain(1, 'two')",
    );
    cases.add(
        "plains_share_their_class",
        &vec![
            Plain {
                a: 1,
                b: "first".into(),
            },
            Plain {
                a: 2,
                b: "second".into(),
            },
        ],
        &plain_class,
        all.clone(),
        "bytes",
        "[bf.Plain(1, 'first'), bf.Plain(2, 'second')]",
    );
    let empty_class = Options::default().class("Empty", PyClass::new("brine_fixtures", "Plain"));
    cases.add(
        "plain_without_attributes",
        &Empty {},
        &empty_class,
        all.clone(),
        "instance-bytes",
        "bf.Plain.__new__(bf.Plain)",
    );
    let slots_class = Options::default().class("Slots", PyClass::slots("brine_fixtures", "Slots"));
    let slots = Slots {
        x: 1,
        y: "why".into(),
    };
    // CPython refuses to write a slotted instance below protocol 2; brine's form still loads.
    cases.add(
        "slots",
        &slots,
        &slots_class,
        0..=1,
        "instance",
        "bf.Slots(1, 'why')",
    );
    cases.add(
        "slots",
        &slots,
        &slots_class,
        2..=5,
        "instance-bytes",
        "bf.Slots(1, 'why')",
    );
    let point_class = Options::default().class("Point", PyClass::new("brine_fixtures", "Point"));
    cases.add(
        "namedtuple",
        &Point(1, "two".into()),
        &point_class,
        all.clone(),
        "instance-bytes",
        "bf.Point(1, 'two')",
    );
    let nested_class =
        Options::default().class("Inner", PyClass::new("brine_fixtures", "Outer.Inner"));
    cases.add(
        "nested_class",
        &Inner { value: 7 },
        &nested_class,
        all.clone(),
        "instance-bytes",
        "bf.Outer.Inner(7)",
    );
    let getstate_class =
        Options::default().class("GetState", PyClass::new("brine_fixtures", "GetState"));
    cases.add(
        "setstate",
        &GetState((3, "state".into())),
        &getstate_class,
        all.clone(),
        "instance-bytes",
        "bf.GetState(3, 'state')",
    );
    let mut attributes = BTreeMap::new();
    attributes.insert("a", 5);
    attributes.insert("b", 6);
    cases.add(
        "py_instance",
        &PyInstance::new("brine_fixtures", "Plain", attributes),
        &plain_data,
        all,
        "instance-bytes",
        "bf.Plain(5, 6)",
    );
    cases
}

#[test]
fn python_loads_what_rust_writes() {
    let cases = cases();
    let python = match brine_python::reference() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(format!("{err}; {} cases not checked", cases.count)),
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/serde_differential.py");
    let mut child = Command::new(&python)
        .arg("-B")
        .arg(script)
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().expect("piped");
    let input = cases.lines.clone();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("python finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("stdin takes the cases");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let failures: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("FAIL"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let ok = stdout
        .lines()
        .filter(|line| line.starts_with("ok "))
        .count();
    assert_eq!(ok, cases.count, "every case answered:\n{stdout}");
    assert!(output.status.success(), "{stdout}");
    eprintln!("differential checks: {ok} cases loaded by CPython as expected");
}
