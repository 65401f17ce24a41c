//! The scikit-learn models of fixtures/sklearn (gen_sklearn.py: six fitted models, each
//! `joblib.dump`ed uncompressed and with six compressors), opened with `JoblibFile`: every
//! array the producer recorded is found under its path with its dtype, shape, bytes (by
//! sha256 of the C-order bytes) and first elements; compressed files give the same arrays;
//! a file cut anywhere is an error, never a panic.

use std::path::PathBuf;

use brine_container::joblib::JoblibFile;
use brine_container::{Body, Limits};
use brine_interpret::numpy::{ArrayData, NdArray};
use brine_interpret::{Interpreter, View};
use bytes::Bytes;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

const COMPRESSORS: [&str; 6] = ["zlib", "gzip", "bz2", "lzma", "xz", "lz4"];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sklearn")
}

fn expect() -> Json {
    serde_json::from_slice(&std::fs::read(dir().join("expect.json")).unwrap()).unwrap()
}

fn open(name: &str) -> JoblibFile {
    let data = Bytes::from(std::fs::read(dir().join(name)).unwrap());
    JoblibFile::open(data, &Limits::default()).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// The C-order bytes of an array whose data is in either order.
fn c_order(array: &NdArray<'_>) -> Vec<u8> {
    let bytes = array.bytes().unwrap();
    if !array.fortran_order || array.shape.len() < 2 {
        return bytes.to_vec();
    }
    let size = array.dtype.item_size as usize;
    let [rows, cols] = array.shape[..] else {
        panic!("a Fortran-order array of {} dimensions", array.shape.len())
    };
    let (rows, cols) = (rows as usize, cols as usize);
    let mut out = Vec::with_capacity(bytes.len());
    for r in 0..rows {
        for c in 0..cols {
            let at = (c * rows + r) * size;
            out.extend_from_slice(&bytes[at..at + size]);
        }
    }
    out
}

fn repr(interp: &Interpreter<'_>, value: &brine_value::Value) -> String {
    match interp.view(value) {
        View::Str(text) => format!("'{}'", text.as_str().unwrap()),
        View::Int(n) => n.to_string(),
        other => other.describe(),
    }
}

/// Checks every recorded array of `model` in `file`; returns how many were checked.
fn check(model: &str, name: &str, file: &JoblibFile, record: &Json) -> usize {
    let interp = file.interpreter();
    let root = file.graph().root_value();
    let estimator = interp.estimator(root).expect("an estimator at the root");
    assert_eq!(
        format!("{}.{}", estimator.class.module, estimator.class.name),
        record["class"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(estimator.version, Some("1.6.1"), "{name}");
    let arrays = record["arrays"].as_object().unwrap();
    // Every array brine lists is one the producer recorded, under the same path.
    let listed: Vec<String> = file.arrays().into_iter().map(|(path, _)| path).collect();
    let listed: Vec<&str> = listed.iter().map(|p| p.trim_start_matches('.')).collect();
    let recorded: Vec<&str> = arrays.keys().map(String::as_str).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, recorded, "{name}: the arrays listed");
    for (path, want) in arrays {
        let value = interp
            .lookup(root, path)
            .unwrap_or_else(|err| panic!("{name} {path}: {err}"));
        let found = file
            .array(value)
            .unwrap_or_else(|| panic!("{name} {path}: not an array"))
            .unwrap_or_else(|err| panic!("{name} {path}: {err}"));
        let array = &found.array;
        let what = format!("{model} ({name}) {path}");
        assert_eq!(array.dtype.to_string(), want["dtype"]["str"], "{what}");
        let shape: Vec<u64> = want["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(array.shape, shape, "{what}");
        if let Some(fields) = want["dtype"].get("fields") {
            let fields: Vec<(String, String, u64)> = fields
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f[0].as_str().unwrap().to_owned(),
                        f[1].as_str().unwrap().to_owned(),
                        f[2].as_u64().unwrap(),
                    )
                })
                .collect();
            let got: Vec<(String, String, u64)> = array
                .dtype
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.dtype.to_string(), f.offset))
                .collect();
            assert_eq!(got, fields, "{what}");
        }
        match &array.data {
            ArrayData::Bytes(_) => {
                let digest = format!("{:x}", Sha256::digest(c_order(array)));
                assert_eq!(digest, want["sha256"].as_str().unwrap(), "{what}");
                if let Some(head) = want.get("head").and_then(Json::as_array) {
                    let got: Vec<f64> = match (array.dtype.kind, array.dtype.item_size) {
                        ('f', 8) => array.to_vec::<f64>().unwrap(),
                        ('i', 8) => array
                            .to_vec::<i64>()
                            .unwrap()
                            .into_iter()
                            .map(|v| v as f64)
                            .collect(),
                        ('i', 4) => array
                            .to_vec::<i32>()
                            .unwrap()
                            .into_iter()
                            .map(f64::from)
                            .collect(),
                        other => panic!("{what}: no reader for {other:?}"),
                    };
                    // `head` is in C order; compare where both orders agree (1-d arrays and
                    // the first element).
                    let n = if array.shape.len() < 2 { head.len() } else { 1 };
                    for (g, w) in got.iter().zip(head).take(n) {
                        assert_eq!(*g, w.as_f64().unwrap(), "{what}");
                    }
                }
            }
            ArrayData::Objects(items) => {
                let inner = Interpreter::new(found.graph);
                let got: Vec<String> = items.iter().map(|item| repr(&inner, item)).collect();
                let want: Vec<String> = want["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(got, want, "{what}");
            }
            ArrayData::Pickled(_) => panic!("{what}: the embedded pickle was not read"),
        }
    }
    arrays.len()
}

#[test]
fn every_model_gives_the_producers_arrays_compressed_or_not() {
    let expect = expect();
    let mut checked = 0;
    for (model, record) in expect["models"].as_object().unwrap() {
        let name = format!("{model}.joblib");
        checked += check(model, &name, &open(&name), record);
        for method in COMPRESSORS {
            let name = format!("{model}.{method}.joblib");
            let file = open(&name);
            assert!(file.codec().is_some(), "{name} was not decompressed");
            check(model, &name, &file, record);
        }
    }
    assert_eq!(expect["models"].as_object().unwrap().len(), 6);
    assert!(checked >= 25, "{checked} arrays");
}

#[test]
fn a_pipelines_coefficients_by_path() {
    let file = open("pipeline.joblib");
    let interp = file.interpreter();
    let root = file.graph().root_value();
    let coef = interp.array_at(root, "steps[1][1].coef_").unwrap();
    assert_eq!(coef.shape, [3, 2]);
    let mean = interp.array_at(root, "steps[0][1].mean_").unwrap();
    assert_eq!(mean.to_vec::<f64>().unwrap(), [3.5, 2.3125]);
    let err = interp.array_at(root, "steps[1][1].nothing_").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`steps[1][1].nothing_` names nothing in a sklearn.linear_model._logistic.LogisticRegression instance"
    );
}

#[test]
fn a_tree_has_its_node_array() {
    let file = open("tree.joblib");
    let interp = file.interpreter();
    let nodes = interp
        .array_at(file.graph().root_value(), "tree_.nodes")
        .unwrap();
    let names: Vec<&str> = nodes.dtype.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "left_child",
            "right_child",
            "feature",
            "threshold",
            "impurity",
            "n_node_samples",
            "weighted_n_node_samples",
            "missing_go_to_left"
        ]
    );
}

#[test]
fn every_cut_of_a_joblib_file_is_an_error() {
    for name in ["forest.joblib", "pipeline.joblib", "tree.gzip.joblib"] {
        let data = std::fs::read(dir().join(name)).unwrap();
        // Every cut of the first and last 600 bytes, every 7th in between.
        for cut in (0..data.len()).filter(|&c| c < 600 || c + 600 > data.len() || c % 7 == 0) {
            let res = JoblibFile::open(Bytes::copy_from_slice(&data[..cut]), &Limits::default());
            assert!(res.is_err(), "{name} cut at {cut} opened");
        }
    }
}

#[test]
fn the_walker_finds_each_models_pickles() {
    let mut found = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("joblib") {
            continue;
        }
        let data = Bytes::from(std::fs::read(&path).unwrap());
        brine_container::walk("m", data, &Limits::default(), &mut |entry| {
            if let Body::Inconclusive(why) = &entry.body {
                panic!("{}: {why}", path.display());
            }
            if matches!(entry.body, Body::Pickle { .. }) {
                found += 1;
            }
        });
    }
    assert!(found >= 42, "{found} pickles");
}
