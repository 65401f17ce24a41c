//! Long runs of scalar items and pairs (the emitter's run loop): the bytes CPython writes,
//! across batches of 1000, frame boundaries and runs broken by other items, and the same
//! bytes as the item-at-a-time path a persistent_id hook takes.

use brine_value::{Graph, Node, Value};

/// Objects whose lists and dicts hold long runs of scalars, each on one line of Python.
const OBJECTS: &[&str] = &[
    "list(range(-300, 70000))",
    "[x * 0.5 for x in range(20000)]",
    "[None, True, False, 255, 256, 65535, 65536, -1, 2**31 - 1, -2**31, 2**31, 2**70, 1.5, \
     'a', 'abc', [1, 2]] * 3000",
    "{i: None for i in range(3000)}",
    "{i: i * 1.5 for i in range(2999)}",
    "{i: (None if i % 7 else 'x' + str(i)) for i in range(5000)}",
    "{i: (i if i % 9 else {}) for i in range(4000)}",
    "[list(range(n)) for n in (31, 32, 33, 999, 1000, 1001, 2000)]",
    "[dict.fromkeys(range(n), False) for n in (31, 32, 33, 999, 1000, 1001, 2000)]",
    "[(i, float(i)) if i % 50 == 0 else i for i in range(30000)]",
    "[[1.0] * 7300, [2] * 40000, {1: 2}]",
];

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex"))
        .collect()
}

/// CPython's pickle of each object at each protocol is decoded and written again: the
/// bytes are CPython's.
#[test]
fn scalar_runs_are_written_as_cpython_writes_them() {
    let python = match brine_python::locate("py311") {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let script = "import pickle, sys\n\
                  for line in sys.stdin:\n\
                  \x20   obj = eval(line)\n\
                  \x20   for proto in range(6):\n\
                  \x20       print(pickle.dumps(obj, proto).hex())\n";
    let mut child = brine_python::command(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python starts");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        for object in OBJECTS {
            writeln!(stdin, "{object}").expect("python reads");
        }
    }
    let output = child.wait_with_output().expect("python finishes");
    assert!(output.status.success(), "python failed");
    let text = String::from_utf8(output.stdout).expect("hex");
    let pickles: Vec<&str> = text.lines().collect();
    assert_eq!(pickles.len(), OBJECTS.len() * 6);
    for (at, cpython) in pickles.iter().enumerate() {
        let (object, proto) = (OBJECTS[at / 6], (at % 6) as u8);
        let data = unhex(cpython);
        let graph = brine_vm::from_slice(&data, &Default::default())
            .unwrap_or_else(|err| panic!("{object} p{proto}: {err}"));
        let brine = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(proto))
            .unwrap_or_else(|err| panic!("{object} p{proto}: {err}"));
        assert!(
            hex(&brine) == *cpython,
            "{object} p{proto}: brine's bytes differ"
        );
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Seeds(u64);

impl Seeds {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value: mostly scalars of every width, sometimes a big int, a str or a list.
    fn value(&mut self, graph: &mut Graph) -> Value {
        let pick = self.next();
        match pick % 16 {
            0 => Value::None,
            1 => Value::Bool(pick & 0x100 != 0),
            2..=4 => Value::Int((pick >> 8) as i64 % 300),
            5..=6 => Value::Int((pick >> 8) as i64 % 70_000),
            7 => Value::Int((pick >> 8) as i64 % (1 << 33)),
            8..=10 => Value::Float((pick >> 8) as f64 / 7.0),
            11 => Value::Int(i64::from((pick >> 32) as i32)),
            12 if pick & 0x300 == 0 => {
                graph.add_int(num_bigint::BigInt::from((pick as i128) << 40))
            }
            13 if pick & 0x700 == 0 => graph.add_str("tag"),
            14 if pick & 0x700 == 0 => Value::Node(graph.add(Node::List(vec![Value::Int(1)]))),
            _ => Value::Float(1.0),
        }
    }
}

/// Random lists and dicts of scalars encode to the same bytes with and without a
/// persistent_id hook that never replaces anything (which writes every item through the
/// general path, one at a time), at every protocol.
#[test]
fn scalar_runs_match_the_item_at_a_time_path() {
    let mut seeds = Seeds(0x2545_F491_4F6C_DD1D);
    for case in 0..60 {
        let mut graph = Graph::new();
        let len = [0, 1, 31, 32, 33, 999, 1000, 1001, 2000, 9000][case % 10] + case;
        let items: Vec<Value> = (0..len).map(|_| seeds.value(&mut graph)).collect();
        let pairs: Vec<(Value, Value)> = (0..len / 2)
            .map(|_| (seeds.value(&mut graph), seeds.value(&mut graph)))
            .collect();
        let list = graph.add(Node::List(items));
        let dict = graph.add(Node::Dict(pairs));
        let root = graph.add(Node::List(vec![Value::Node(list), Value::Node(dict)]));
        graph.set_root(Value::Node(root));
        for proto in 0..=5u8 {
            let options = brine_encode::Options::protocol(proto);
            let runs = brine_encode::to_vec(&graph, &options)
                .unwrap_or_else(|err| panic!("case {case} p{proto}: {err}"));
            let one_at_a_time = brine_encode::Encoder::new(options)
                .persistent_id(|_, _| None)
                .to_vec(&graph)
                .unwrap_or_else(|err| panic!("case {case} p{proto}: {err}"));
            assert!(runs == one_at_a_time, "case {case} p{proto}: bytes differ");
        }
    }
}
