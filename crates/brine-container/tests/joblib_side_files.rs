//! The files of joblib before 0.10 that joblib's own test suite keeps (`joblib/test/data` of
//! the pinned joblib in brine-python's environment): each array kept in a side file
//! (`NDArrayWrapper`: an `.npy` file; `ZNDArrayWrapper`: a zlib z-file) is read by
//! `JoblibFile::open_path` as joblib reads it. The reference is joblib itself, its wrappers'
//! `read` recorded while `joblib.load` runs, and for the Python 2 files, which joblib cannot
//! load under Python 3, `numpy.load` of each side file (what `NDArrayWrapper.read` calls).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use brine_container::Limits;
use brine_container::joblib::JoblibFile;
use brine_interpret::numpy::ArrayData;
use brine_interpret::{Interpreter, View};
use serde_json::Value as Json;

/// Prints, for every old joblib file of joblib's test data that names side files, what each
/// side file's array is: `{pickle: {side file: description}}`.
const ORACLE: &str = r#"
import glob, json, os, sys, warnings
import numpy as np
import joblib
from joblib import numpy_pickle_compat as compat

warnings.simplefilter("ignore")
data = os.path.join(os.path.dirname(joblib.__file__), "test", "data")
recorded = {}
for cls in (compat.NDArrayWrapper, compat.ZNDArrayWrapper):
    def read(self, unpickler, original=cls.read):
        array = original(self, unpickler)
        recorded[self.filename] = array
        return array
    cls.read = read

def describe(a):
    if a.dtype.hasobject:
        return {"dtype": a.dtype.str, "shape": list(a.shape),
                "items": [x if isinstance(x, (int, str)) else None for x in a.flat]}
    return {"dtype": a.dtype.str, "shape": list(a.shape), "fortran": bool(np.isfortran(a)),
            "hex": a.tobytes(order="A").hex()}

out = {"dir": data, "files": {}}
for path in sorted(glob.glob(os.path.join(data, "joblib_0.[0-9]*"))):
    name = os.path.basename(path)
    if ".npy" in name or not name.startswith(("joblib_0.8", "joblib_0.9")):
        continue
    sides = sorted(os.path.basename(p) for p in glob.glob(path + "_[0-9]*"))
    if not sides:
        continue
    recorded.clear()
    try:
        joblib.load(path)
        arrays = dict(recorded)
    except Exception:
        # Python 2 files: joblib cannot load them under Python 3; NDArrayWrapper.read is
        # numpy.load of the side file.
        if any(s.endswith(".z") for s in sides):
            raise
        arrays = {s: np.load(os.path.join(data, s), allow_pickle=True) for s in sides}
    out["files"][name] = {s: describe(a) for s, a in arrays.items()}
print(json.dumps(out))
"#;

fn oracle() -> Option<Json> {
    let python = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => {
            brine_python::skip(err);
            return None;
        }
    };
    let out = brine_python::run_script(&python, ORACLE, [] as [&str; 0])
        .unwrap_or_else(|err| panic!("the joblib oracle failed: {err}"));
    Some(serde_json::from_str(&out).unwrap())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks every side-file array of `file` against `expected` (side file name → description);
/// returns how many were checked.
fn check(name: &str, file: &JoblibFile, expected: &serde_json::Map<String, Json>) -> usize {
    let interp = file.interpreter();
    let root = file.graph().root_value();
    let mut seen = BTreeMap::new();
    for (path, array) in file.arrays() {
        let value = interp.lookup(root, &path).unwrap();
        let Some(Ok(brine_interpret::joblib::Wrapper::SideFile { filename, .. })) =
            interp.joblib_wrapper(value)
        else {
            continue;
        };
        let array = array.unwrap_or_else(|err| panic!("{name} {path} ({filename}): {err}"));
        let want = &expected[filename];
        let what = format!("{name} {path} ({filename})");
        assert_eq!(
            array.array.dtype.to_string(),
            want["dtype"].as_str().unwrap(),
            "{what}"
        );
        let shape: Vec<u64> = want["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(array.array.shape, shape, "{what}");
        match &array.array.data {
            ArrayData::Objects(items) => {
                let want = want["items"].as_array().unwrap();
                assert_eq!(items.len(), want.len(), "{what}");
                let items_interp = Interpreter::new(array.graph);
                for (item, want) in items.iter().zip(want) {
                    match (items_interp.view(item), want) {
                        (View::Int(n), Json::Number(w)) => {
                            assert_eq!(Some(n), w.as_i64(), "{what}")
                        }
                        (View::Str(text), Json::String(w)) => {
                            assert_eq!(text.as_str(), Some(w.as_str()), "{what}")
                        }
                        (View::Py2Str(text), Json::String(w)) => {
                            assert_eq!(text.as_bytes(), w.as_bytes(), "{what}")
                        }
                        (_, Json::Null) => {}
                        (other, want) => panic!("{what}: {} for {want}", other.describe()),
                    }
                }
            }
            _ => {
                assert_eq!(
                    array.array.fortran_order,
                    want["fortran"].as_bool().unwrap(),
                    "{what}"
                );
                assert_eq!(
                    hex(array.array.bytes().unwrap()),
                    want["hex"].as_str().unwrap(),
                    "{what}"
                );
            }
        }
        seen.insert(filename.to_owned(), ());
    }
    let mut named: Vec<&str> = file.side_files();
    named.sort_unstable();
    let wanted: Vec<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(named, wanted, "{name}: the side files the stream names");
    assert_eq!(
        seen.keys().map(String::as_str).collect::<Vec<_>>(),
        wanted,
        "{name}: every side file read as an array"
    );
    seen.len()
}

#[test]
fn old_joblib_side_files_read_as_joblib_reads_them() {
    let Some(oracle) = oracle() else { return };
    let dir = PathBuf::from(oracle["dir"].as_str().unwrap());
    let files = oracle["files"].as_object().unwrap();
    let mut arrays = 0;
    for (name, expected) in files {
        let file = JoblibFile::open_path(dir.join(name), &Limits::default())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        arrays += check(name, &file, expected.as_object().unwrap());
    }
    // joblib 1.4.2 keeps five uncompressed 0.9.2 files with four side files each and one
    // compressed 0.9.4 file with three.
    assert!(files.len() >= 6, "{} old files", files.len());
    assert!(arrays >= 23, "{arrays} side-file arrays");
}

#[test]
fn without_its_side_files_a_file_still_opens_from_memory() {
    let Some(oracle) = oracle() else { return };
    let dir = Path::new(oracle["dir"].as_str().unwrap());
    for name in oracle["files"].as_object().unwrap().keys() {
        let data = std::fs::read(dir.join(name)).unwrap();
        let file = JoblibFile::open(data.into(), &Limits::default()).unwrap();
        assert!(!file.side_files().is_empty(), "{name}");
        // Opened from memory, the side files are not read: their arrays say where they are.
        let (_, first) = file
            .arrays()
            .into_iter()
            .find(|(_, array)| array.is_err())
            .unwrap_or_else(|| panic!("{name}: no side-file array"));
        let err = first.err().unwrap().to_string();
        assert!(err.contains("side file"), "{name}: {err}");
    }
}

/// What joblib's `create_numpy_pickle.py` dumped into every file of its test data, described
/// by numpy: the arrays (dtype, shape, C-order bytes), the object array's items, the bytes and
/// the str.
const CONTENT: &str = r#"
import json, os
import numpy as np
import joblib

to_pickle = [np.arange(5, dtype=np.dtype('<i8')),
             np.arange(5, dtype=np.dtype('<f8')),
             np.array([1, 'abc', {'a': 1, 'b': 2}], dtype='O'),
             np.arange(256, dtype=np.uint8).tobytes(),
             np.matrix([0, 1, 2], dtype=np.dtype('<i8')),
             u"C'est l'\xe9t\xe9 !"]
arrays = [{"index": i, "dtype": a.dtype.str, "shape": list(a.shape), "hex": a.tobytes().hex()}
          for i, a in enumerate(to_pickle) if isinstance(a, np.ndarray) and not a.dtype.hasobject]
print(json.dumps({
    "dir": os.path.join(os.path.dirname(joblib.__file__), "test", "data"),
    "arrays": arrays,
    "objects": [1, "abc"],
    "bytes": to_pickle[3].hex(),
    "text": to_pickle[5],
}))
"#;

#[test]
fn every_file_of_joblibs_test_data_holds_what_its_script_dumped() {
    let python = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let out = brine_python::run_script(&python, CONTENT, [] as [&str; 0]).unwrap();
    let want: Json = serde_json::from_str(&out).unwrap();
    let dir = PathBuf::from(want["dir"].as_str().unwrap());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("joblib_") && !name.contains(".npy"))
        .collect();
    names.sort();
    for name in &names {
        let file = JoblibFile::open_path(dir.join(name), &Limits::default())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        let interp = file.interpreter();
        let root = file.graph().root_value();
        let View::List(items) = interp.view(root) else {
            panic!("{name}: the root is a {}", interp.describe(root));
        };
        let items: Vec<_> = items.iter().collect();
        assert_eq!(items.len(), 6, "{name}");
        for expected in want["arrays"].as_array().unwrap() {
            let index = expected["index"].as_u64().unwrap() as usize;
            let array = file
                .array(items[index])
                .unwrap_or_else(|| panic!("{name} [{index}]: not an array"))
                .unwrap_or_else(|err| panic!("{name} [{index}]: {err}"));
            let what = format!("{name} [{index}]");
            assert_eq!(array.array.dtype.to_string(), expected["dtype"], "{what}");
            let shape: Vec<u64> = expected["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .collect();
            assert_eq!(array.array.shape, shape, "{what}");
            assert_eq!(hex(array.array.bytes().unwrap()), expected["hex"], "{what}");
        }
        let objects = file
            .array(items[2])
            .unwrap_or_else(|| panic!("{name} [2]: not an array"))
            .unwrap_or_else(|err| panic!("{name} [2]: {err}"));
        let ArrayData::Objects(objects_items) = objects.array.data else {
            panic!("{name} [2]: not an object array");
        };
        let objects_interp = Interpreter::new(objects.graph);
        assert_eq!(objects_items.len(), 3, "{name}");
        assert!(
            matches!(objects_interp.view(&objects_items[0]), View::Int(1)),
            "{name}"
        );
        let abc = match objects_interp.view(&objects_items[1]) {
            View::Str(text) => text.as_str().map(str::to_owned),
            View::Py2Str(text) => text.as_str().map(str::to_owned),
            other => panic!("{name}: {}", other.describe()),
        };
        assert_eq!(abc.as_deref(), Some("abc"), "{name}");
        // Python 2's `str` of all 256 bytes is kept as written, whatever text it would be.
        let bytes = match file.graph().get(items[3]).node() {
            Some(brine_value::Node::Py2Str(raw)) => raw.to_vec(),
            _ => match interp.view(items[3]) {
                View::Bytes(data) => data.into_bytes().to_vec(),
                other => panic!("{name} [3]: {}", other.describe()),
            },
        };
        assert_eq!(hex(&bytes), want["bytes"], "{name} [3]");
        let View::Str(text) = interp.view(items[5]) else {
            panic!("{name} [5]: {}", interp.describe(items[5]));
        };
        assert_eq!(text.as_str(), want["text"].as_str(), "{name} [5]");
    }
    // joblib 1.4.2's test data: 0.8.4 to 0.11.0, Python 2.7 to 3.6, six compressions.
    assert!(names.len() >= 40, "{} files", names.len());
}
