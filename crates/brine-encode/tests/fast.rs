//! Fast mode (`Options::fast`) against CPython 3.11's `Pickler.fast = True`: the corpus
//! objects CPython can dump without a memo come out byte for byte as CPython writes them, and
//! the ones it refuses (cycles) are refused.

mod common;

use std::collections::HashMap;
use std::path::Path;

use brine_value::{Graph, Node, Value};
use common::{decode_options, extensions, first_difference};

/// Dumps every object of the fixture catalogue at every protocol with `Pickler.fast = True`
/// into DIR/<object>.p<N>.pickle, or DIR/<object>.p<N>.error holding the exception.
const FAST_DUMPS: &str = r#"
import io, os, pickle, sys
sys.path.insert(0, sys.argv[1])
sys.setrecursionlimit(3000)
import gen_fixtures
out = sys.argv[2]
for name, obj, protocols in gen_fixtures.catalogue():
    for protocol in (protocols if protocols is not None else range(pickle.HIGHEST_PROTOCOL + 1)):
        f = io.BytesIO()
        p = pickle.Pickler(f, protocol)
        p.fast = True
        try:
            p.dump(obj)
        except Exception as err:
            with open(os.path.join(out, "%s.p%d.error" % (name, protocol)), "w") as e:
                e.write("%s: %s" % (type(err).__name__, err))
            continue
        with open(os.path.join(out, "%s.p%d.pickle" % (name, protocol)), "wb") as w:
            w.write(f.getvalue())
"#;

fn fast(protocol: u8) -> brine_encode::Options {
    let mut options = brine_encode::Options::protocol(protocol).fast();
    options.extensions = extensions();
    options
}

/// Every CPython 3.11.7 fixture, decoded and written in fast mode at its own protocol, is
/// the pickle 3.11.7's fast pickler writes for the same object; where CPython refuses the
/// object (a cycle: `ValueError` for a list or dict, `RecursionError` otherwise), brine
/// refuses it too.
#[test]
fn fast_mode_writes_what_cpython_311_writes_with_fast_set() {
    let python = match brine_python::locate("py311") {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fast_dumps");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("scratch dir");
    let generate = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/generate");
    brine_python::run_script(&python, FAST_DUMPS, [generate.as_os_str(), out.as_os_str()])
        .expect("CPython dumps the catalogue in fast mode");

    let (mut compared, mut refused) = (0, 0);
    let mut failures = Vec::new();
    let mut refusals: HashMap<String, usize> = HashMap::new();
    let fixtures = brine_testdata::all()
        .into_iter()
        .filter(|f| f.producer == "py311" && f.variant == "plain");
    for fixture in fixtures {
        let name = format!("{}.p{}", fixture.object, fixture.protocol);
        let graph = brine_vm::from_slice(&fixture.bytes(), &decode_options()).expect("decodes");
        let written = brine_encode::to_vec(&graph, &fast(fixture.protocol));
        let expected = std::fs::read(out.join(format!("{name}.pickle")));
        match (expected, written) {
            (Ok(expected), Ok(written)) => {
                if written != expected {
                    let diff = first_difference(&expected, &written).1;
                    failures.push(format!("{name}: {diff}"));
                }
                compared += 1;
            }
            (Ok(_), Err(err)) => failures.push(format!("{name}: CPython writes it, brine: {err}")),
            (Err(_), written) => {
                let why = std::fs::read_to_string(out.join(format!("{name}.error")))
                    .unwrap_or_else(|_| {
                        panic!("CPython wrote neither pickle nor error for {name}")
                    });
                match written {
                    Err(err) => {
                        let kind = why.split(':').next().unwrap_or_default().to_owned();
                        *refusals.entry(format!("{kind} / {err}")).or_default() += 1;
                        refused += 1;
                    }
                    Ok(_) => failures.push(format!(
                        "{name}: CPython refuses it ({why}), brine writes it"
                    )),
                }
            }
        }
    }
    println!("{compared} fast pickles equal CPython's, {refused} refused as CPython refuses them:");
    for (refusal, count) in &refusals {
        println!("  {count:4}  {refusal}");
    }
    assert!(compared > 800, "only {compared} compared");
    assert!(refused > 0, "no cyclic fixture was refused");
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A list that contains itself, as `l = []; l.append(l)`: fast mode refuses it with the
/// error that names the cycle, at every protocol.
#[test]
fn a_self_containing_list_is_refused_in_fast_mode() {
    let mut graph = Graph::new();
    let list = graph.add(Node::List(Vec::new()));
    if let Node::List(items) = graph.node_mut(list) {
        items.push(Value::Node(list));
    }
    graph.set_root(Value::Node(list));
    for protocol in 0..=5 {
        let err = brine_encode::to_vec(&graph, &fast(protocol)).expect_err("a cycle");
        assert!(
            matches!(err, brine_encode::EncodeError::FastModeCycle("list")),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "fast mode: can't pickle cyclic objects including object type list"
        );
        // Without fast mode the memo writes it.
        let memoized = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(protocol));
        assert!(memoized.is_ok());
    }
}

/// A shared object is written once per reference: `[d, d]` with one dict is written as two
/// dicts, with no PUT and no GET.
#[test]
fn a_shared_dict_is_written_twice_in_fast_mode() {
    let mut graph = Graph::new();
    let dict = graph.add(Node::Dict(vec![(Value::Int(1), Value::None)]));
    let list = graph.add(Node::List(vec![Value::Node(dict), Value::Node(dict)]));
    graph.set_root(Value::Node(list));
    // p = pickle.Pickler(f, 2); p.fast = True; d = {1: None}; p.dump([d, d])
    assert_eq!(
        brine_encode::to_vec(&graph, &fast(2)).expect("writes"),
        b"\x80\x02](}K\x01Ns}K\x01Nse."
    );
}
