//! The pandas fixtures of `fixtures/pandas/<release>/` (pandas 1.5.3, 2.2.3 and 3.1.1 at
//! protocols 2, 4 and 5) read as the producer described each object before pickling it
//! (`expect/<object>.json`, see `fixtures/generate/gen_pandas.py`): every column's name,
//! dtype, length, first values and a SHA-256 of all its values, the index, the block layout.

use std::fs;
use std::path::Path;

use brine_interpret::Interpreter;
use brine_interpret::numpy::{ArrayData, ByteOrder, NdArray};
use brine_interpret::pandas::{ColumnName, Index, Pandas, Values};
use brine_value::Value;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

/// The producer's records, by object name: the hash of each value kind is what
/// `gen_pandas.py`'s `record_values` hashes.
#[test]
fn the_pandas_fixtures_read_as_pandas_described_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pandas");
    let mut releases: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    releases.sort();
    let mut checked = 0;
    for release in &releases {
        for (path, expect) in manifest(release) {
            let case = format!("{}", path.strip_prefix(&root).unwrap().display());
            let expect: Json = serde_json::from_slice(&fs::read(&expect).unwrap()).unwrap();
            let data = fs::read(&path).unwrap();
            let graph = brine_vm::from_slice(&data, &Default::default())
                .unwrap_or_else(|err| panic!("{case}: {err}"));
            let interp = Interpreter::new(&graph);
            let read = interp
                .pandas(graph.root_value())
                .unwrap_or_else(|| panic!("{case}: not recognised"))
                .unwrap_or_else(|err| panic!("{case}: {err}"));
            check(&interp, &read, &expect, &case);
            checked += 1;
        }
    }
    // Three releases, thirteen objects, three protocols each.
    assert_eq!(releases.len(), 3, "{releases:?}");
    assert_eq!(checked, 117);
}

/// The pandas 3.1.1 fixtures of `fixtures/thirdparty` (protocols 0-5, 0 and 1 being ones
/// `fixtures/pandas` leaves out) are read, and a frame's column names and dtypes are the
/// `df.dtypes` the load recorded (`expect/*.json`).
#[test]
fn the_thirdparty_pandas_fixtures_are_read_at_every_protocol() {
    let mut read = 0;
    for fixture in brine_testdata::thirdparty() {
        if fixture.library != "pandas" {
            continue;
        }
        let case = &fixture.path;
        let data = fixture.bytes();
        let graph = brine_vm::from_slice(&data, &Default::default()).unwrap();
        let interp = Interpreter::new(&graph);
        let pandas = interp
            .pandas(graph.root_value())
            .unwrap_or_else(|| panic!("{case}: not recognised"))
            .unwrap_or_else(|err| panic!("{case}: {err}"));
        let expect: Json =
            serde_json::from_slice(&fs::read(fixture.expect_path()).unwrap()).unwrap();
        let kind = match &pandas {
            Pandas::DataFrame(frame) => {
                // `df.dtypes` prints a line per column, `name   dtype`, then `dtype: object`.
                let dtypes = expect["dtypes"].as_str().unwrap();
                let expected: Vec<Vec<&str>> = dtypes
                    .lines()
                    .filter(|line| !line.starts_with("dtype:"))
                    .map(|line| line.split_whitespace().collect())
                    .collect();
                let ours: Vec<Vec<String>> = frame
                    .columns()
                    .iter()
                    .map(|column| vec![column.name.describe(&interp), column.values.dtype_name()])
                    .collect();
                assert_eq!(ours, expected, "{case}");
                "DataFrame"
            }
            Pandas::Series(series) => {
                assert_eq!(series.values.dtype_name(), expect["dtypes"], "{case}");
                "Series"
            }
            Pandas::Index(index) => index.class(),
            Pandas::Categorical(_) => "Categorical",
            other => panic!("{case}: {other:?}"),
        };
        assert_eq!(kind, expect["pandas"], "{case}");
        read += 1;
    }
    assert_eq!(read, 30);
}

/// The (pickle, expect) paths a release's manifest lists.
fn manifest(release: &Path) -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let text = fs::read_to_string(release.join("manifest.tsv")).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("path\t"))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (release.join(fields[0]), release.join(fields[3]))
        })
        .collect()
}

fn check(interp: &Interpreter<'_>, read: &Pandas<'_>, expect: &Json, case: &str) {
    match (read, expect["pandas"].as_str().unwrap()) {
        (Pandas::DataFrame(frame), "DataFrame") => {
            let columns = expect["columns"].as_array().unwrap();
            assert_eq!(frame.columns().len(), columns.len(), "{case}");
            for (column, record) in frame.columns().iter().zip(columns) {
                let name = match column.name {
                    ColumnName::Value(value) => element(interp, value),
                    ColumnName::Int(n) => json!(n),
                };
                let case = format!("{case} column {name}");
                assert_eq!(name, record["name"], "{case}");
                check_values(interp, &column.values, record, &case);
            }
            check_index(interp, &frame.index, &expect["index"], case);
            let blocks: Vec<Json> = frame
                .blocks
                .iter()
                .map(|block| json!({"dtype": block.values.dtype_name(), "mgr_locs": block.placement}))
                .collect();
            assert_eq!(Json::from(blocks), expect["blocks"], "{case} blocks");
        }
        (Pandas::Series(series), "Series") => {
            let name = series.name.map_or(Json::Null, |name| element(interp, name));
            assert_eq!(name, expect["name"], "{case}");
            check_index(interp, &series.index, &expect["index"], case);
            check_values(interp, &series.values, &expect["values"], case);
        }
        (Pandas::Index(index), "Index") => check_index(interp, index, &expect["index"], case),
        (Pandas::Categorical(categorical), "Categorical") => check_values(
            interp,
            &Values::Categorical(categorical.clone()),
            &expect["values"],
            case,
        ),
        (other, kind) => panic!("{case}: read {other:?} for a {kind}"),
    }
}

fn check_index(interp: &Interpreter<'_>, index: &Index<'_>, expect: &Json, case: &str) {
    let case = &format!("{case} index");
    assert_eq!(index.class(), expect["class"], "{case}");
    assert_eq!(index.len(), expect["length"].as_u64().unwrap(), "{case}");
    let name_of = |name: Option<&Value>| name.map_or(Json::Null, |name| element(interp, name));
    match index {
        Index::Range {
            name,
            start,
            stop,
            step,
        } => {
            assert_eq!(name_of(*name), expect["name"], "{case}");
            assert_eq!(
                json!([start, stop, step]),
                json!([expect["start"], expect["stop"], expect["step"]]),
                "{case}"
            );
        }
        Index::Values { name, values, .. } => {
            assert_eq!(name_of(*name), expect["name"], "{case}");
            check_values(interp, values, expect, case);
        }
        Index::Multi {
            names,
            levels,
            codes,
        } => {
            let names: Vec<Json> = names.iter().map(|name| element(interp, name)).collect();
            assert_eq!(Json::from(names), expect["names"], "{case}");
            let records = expect["levels"].as_array().unwrap();
            assert_eq!(levels.len(), records.len(), "{case}");
            for (level, record) in levels.iter().zip(records) {
                check_index(interp, level, record, case);
            }
            let codes: Vec<Vec<i64>> = codes.iter().map(ints).collect();
            assert_eq!(json!(codes), expect["codes"], "{case}");
        }
        other => panic!("{case}: {other:?}"),
    }
}

fn check_values(interp: &Interpreter<'_>, values: &Values<'_>, expect: &Json, case: &str) {
    assert_eq!(values.dtype_name(), expect["dtype"], "{case}");
    assert_eq!(values.len(), expect["length"].as_u64().unwrap(), "{case}");
    let (items, digest): (Vec<Json>, Vec<u8>) = match values {
        Values::Categorical(categorical) => {
            check_index(interp, &categorical.categories, &expect["categories"], case);
            assert_eq!(json!(categorical.ordered), expect["ordered"], "{case}");
            let codes = ints(&categorical.codes);
            (
                codes.into_iter().map(Json::from).collect(),
                little(&categorical.codes),
            )
        }
        Values::Masked { data, mask, .. } => {
            let missing = mask.to_vec::<bool>().unwrap();
            let items = numbers(data)
                .into_iter()
                .zip(missing)
                .map(|(item, missing)| if missing { Json::Null } else { item })
                .collect();
            (items, [little(data), little(mask)].concat())
        }
        Values::Strings { data, .. } => objects(interp, data),
        Values::Numpy(array) if array.dtype.kind == 'O' => objects(interp, array),
        Values::Numpy(array) if matches!(array.dtype.kind, 'M' | 'm') => {
            let items = ints(array)
                .into_iter()
                .map(|n| if n == i64::MIN { Json::Null } else { json!(n) })
                .collect();
            (items, little(array))
        }
        Values::Numpy(array) => (numbers(array), little(array)),
        other => panic!("{case}: {other:?}"),
    };
    let head: Vec<Json> = items.into_iter().take(5).collect();
    assert_eq!(Json::from(head), expect["head"], "{case}");
    let ours: String = Sha256::digest(&digest)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(ours, expect["sha256"].as_str().unwrap(), "{case}: sha256");
}

/// The bytes in little-endian order, as the generator hashes them.
fn little(array: &NdArray<'_>) -> Vec<u8> {
    let mut bytes = array.bytes().unwrap().to_vec();
    if array.dtype.byte_order == ByteOrder::Big {
        let size = array.dtype.item_size as usize;
        bytes.chunks_exact_mut(size).for_each(<[u8]>::reverse);
    }
    bytes
}

/// An object array's items as JSON, and the compact JSON list the generator hashes.
fn objects(interp: &Interpreter<'_>, array: &NdArray<'_>) -> (Vec<Json>, Vec<u8>) {
    let ArrayData::Objects(items) = &array.data else {
        panic!("not an object array: {array:?}");
    };
    let items: Vec<Json> = items.iter().map(|item| element(interp, item)).collect();
    let text = serde_json::to_string(&items).unwrap();
    (items, text.into_bytes())
}

/// A graph value as the generator's JSON: `str`, int, bool, float, and null for `None`, NaN
/// and `pd.NA`.
fn element(interp: &Interpreter<'_>, value: &Value) -> Json {
    use brine_interpret::View;
    if brine_interpret::pandas::is_missing(interp, value) {
        return Json::Null;
    }
    match interp.view(value) {
        View::Str(text) => json!(text.as_str().unwrap()),
        View::Int(n) => json!(n),
        View::Bool(b) => json!(b),
        View::Float(f) => json!(f),
        other => panic!("an element {other:?}"),
    }
}

fn ints(array: &NdArray<'_>) -> Vec<i64> {
    if matches!(array.dtype.kind, 'M' | 'm') {
        // datetime64 and timedelta64 counts of its unit: `to_vec` reads only plain integers.
        return little(array)
            .chunks_exact(8)
            .map(|item| i64::from_le_bytes(item.try_into().unwrap()))
            .collect();
    }
    match array.dtype.item_size {
        1 => array
            .to_vec::<i8>()
            .unwrap()
            .into_iter()
            .map(i64::from)
            .collect(),
        2 => array
            .to_vec::<i16>()
            .unwrap()
            .into_iter()
            .map(i64::from)
            .collect(),
        4 => array
            .to_vec::<i32>()
            .unwrap()
            .into_iter()
            .map(i64::from)
            .collect(),
        _ => array.to_vec::<i64>().unwrap(),
    }
}

/// A numeric or bool array's items as JSON, NaN as null.
fn numbers(array: &NdArray<'_>) -> Vec<Json> {
    match array.dtype.kind {
        'b' => array
            .to_vec::<bool>()
            .unwrap()
            .into_iter()
            .map(Json::from)
            .collect(),
        'i' => ints(array).into_iter().map(Json::from).collect(),
        'u' => array
            .to_vec::<u64>()
            .unwrap()
            .into_iter()
            .map(Json::from)
            .collect(),
        'f' => {
            let floats: Vec<f64> = match array.dtype.item_size {
                4 => array
                    .to_vec::<f32>()
                    .unwrap()
                    .into_iter()
                    .map(f64::from)
                    .collect(),
                _ => array.to_vec::<f64>().unwrap(),
            };
            floats
                .into_iter()
                .map(|f| if f.is_nan() { Json::Null } else { json!(f) })
                .collect()
        }
        kind => panic!("numbers of kind {kind}"),
    }
}

/// A pickle's memo can make a `Categorical` the data of an index that is its own
/// categories (BUILD applied to the dtype after the index exists): the reader ends in an
/// error, not a stack overflow.
#[test]
fn a_categorical_that_is_its_own_categories_is_refused() {
    use brine_value::{Change, Node};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/pandas/pandas-3.1.1/pickles/categorical.p4.pickle");
    let mut graph = brine_vm::from_slice(&fs::read(path).unwrap(), &Default::default()).unwrap();
    let root = *graph.root_value();
    let dtype = {
        let interp = Interpreter::new(&graph);
        let brine_interpret::View::Object(categorical) = interp.root() else {
            panic!("not an object");
        };
        let brine_interpret::View::Tuple(state) = interp.view(categorical.setstate.unwrap()) else {
            panic!("no state");
        };
        let Value::Node(dtype) = state[0] else {
            panic!("no dtype node");
        };
        dtype
    };
    let global = |graph: &mut brine_value::Graph, module: &str, name: &str| {
        let (module, name) = (graph.add_str(module), graph.add_str(name));
        Value::Node(graph.add(Node::Global { module, name }))
    };
    let new_index = global(&mut graph, "pandas.core.indexes.base", "_new_Index");
    let class = global(&mut graph, "pandas", "CategoricalIndex");
    let data = graph.add_str("data");
    let fields = Value::Node(graph.add(Node::Dict(vec![(data, root)])));
    let args = Value::Node(graph.add(Node::Tuple(vec![class, fields])));
    let index = Value::Node(graph.add(Node::Reduce {
        callable: new_index,
        args,
    }));
    let categories = graph.add_str("categories");
    let state = Value::Node(graph.add(Node::Dict(vec![(categories, index)])));
    graph.push_change(dtype, Change::Build(state));
    let interp = Interpreter::new(&graph);
    let err = interp.pandas(graph.root_value()).unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "a pandas form brine does not read: indexes and arrays nested more than 16 deep"
    );
}
