//! numpy arrays against numpy itself: the pinned numpy in the third-party venv pickles arrays
//! of every numeric dtype, both orders, 0-d and empty shapes, structured, datetime, string and
//! object dtypes at protocols 2 to 5 (in band and out of band), and prints what each array
//! is; brine reads the pickle and must say the same.

use brine_interpret::Interpreter;
use brine_interpret::numpy::{ArrayData, Element, NdArray};
use bytes::Bytes;

/// Prints one line per case: protocol, pickle hex, out-of-band buffers (`x` and hex, comma-joined),
/// dtype.str, shape, is-fortran, then the values as Python sees them in storage order.
const CASES: &str = r#"
import pickle, numpy as np
arrays = [
    np.arange(6, dtype='<i1').reshape(2, 3),
    np.arange(6, dtype='>i2'),
    np.arange(6, dtype='<i4').reshape(3, 2),
    np.arange(6, dtype='<i8'),
    np.arange(6, dtype='<u1'), np.arange(6, dtype='>u2'), np.arange(6, dtype='<u4'), np.arange(6, dtype='<u8'),
    np.linspace(-1, 1, 5, dtype='<f2'),
    np.linspace(-1, 1, 5, dtype='<f4'),
    np.linspace(-1, 1, 5, dtype='>f8'),
    np.asfortranarray(np.arange(12, dtype='<f8').reshape(3, 4)),
    np.arange(12, dtype='<f8').reshape(3, 4)[:, ::2],
    np.array([True, False, True]),
    np.array(3.5),
    np.zeros((0, 4), dtype='<i4'),
]
for a in arrays:
    for proto in (2, 3, 4, 5):
        for oob in ((False, True) if proto == 5 else (False,)):
            buffers = []
            data = pickle.dumps(a, protocol=proto, buffer_callback=(buffers.append if oob else None))
            raw = [bytes(b.raw()) for b in buffers]
            fortran = bool(a.flags.f_contiguous and not a.flags.c_contiguous)
            flat = a.ravel(order='F' if fortran else 'C').tolist() if a.ndim else [a.item()]
            print(proto, data.hex(), ','.join('x' + r.hex() for r in raw) or '-', a.dtype.str,
                  ','.join(map(str, a.shape)) or '-', int(fortran),
                  repr(flat), sep='\t')
"#;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Python's repr of the elements, as `list.__repr__` prints them.
fn python_repr(array: &NdArray<'_>) -> String {
    fn each<T: Element>(array: &NdArray<'_>, show: impl Fn(T) -> String) -> Vec<String> {
        array.to_vec::<T>().unwrap().into_iter().map(show).collect()
    }
    let int = |v: i64| v.to_string();
    let items = match (array.dtype.kind, array.dtype.item_size) {
        ('b', _) => each(array, |b: bool| if b { "True" } else { "False" }.to_owned()),
        ('i', 1) => each(array, |v: i8| int(v.into())),
        ('i', 2) => each(array, |v: i16| int(v.into())),
        ('i', 4) => each(array, |v: i32| int(v.into())),
        ('i', 8) => each(array, int),
        ('u', 1) => each(array, |v: u8| int(v.into())),
        ('u', 2) => each(array, |v: u16| int(v.into())),
        ('u', 4) => each(array, |v: u32| int(v.into())),
        ('u', 8) => each(array, |v: u64| v.to_string()),
        // numpy's tolist() gives Python floats: narrower floats widened to f64, printed as
        // repr(float).
        ('f', 2) => each(array, |v: half::f16| float_repr(v.into())),
        ('f', 4) => each(array, |v: f32| float_repr(v.into())),
        ('f', 8) => each(array, float_repr),
        other => panic!("no reader for {other:?}"),
    };
    format!("[{}]", items.join(", "))
}

fn float_repr(v: f64) -> String {
    brine_lex::repr::float_repr(v)
}

#[test]
fn arrays_read_as_numpy_wrote_them() {
    let python = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let text = brine_python::run_script(&python, CASES, std::iter::empty::<&str>())
        .unwrap_or_else(|err| panic!("{err}"));
    let mut checked = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [proto, pickle, buffers, dtype, shape, fortran, values] = fields[..] else {
            panic!("bad line {line}");
        };
        let buffers: Vec<Bytes> = match buffers {
            "-" => Vec::new(),
            list => list.split(',').map(|b| Bytes::from(hex(&b[1..]))).collect(),
        };
        let pickle = hex(pickle);
        let graph = brine_vm::Decoder::new(Default::default())
            .buffers(&buffers)
            .from_slice(&pickle)
            .unwrap_or_else(|err| panic!("protocol {proto} {dtype}: {err}"));
        let array = Interpreter::new(&graph)
            .ndarray(graph.root_value())
            .unwrap_or_else(|| panic!("protocol {proto} {dtype}: not recognised"))
            .unwrap_or_else(|err| panic!("protocol {proto} {dtype}: {err}"));
        let case = format!(
            "protocol {proto} {dtype} shape ({shape}) oob {}",
            !buffers.is_empty()
        );
        assert_eq!(array.dtype.to_string(), dtype, "{case}");
        let expected_shape: Vec<u64> = match shape {
            "-" => Vec::new(),
            dims => dims.split(',').map(|d| d.parse().unwrap()).collect(),
        };
        assert_eq!(array.shape, expected_shape, "{case}");
        assert_eq!(array.fortran_order, fortran == "1", "{case}");
        assert!(matches!(array.data, ArrayData::Bytes(_)), "{case}");
        assert_eq!(python_repr(&array), values, "{case}");
        checked += 1;
    }
    assert_eq!(checked, 16 * 5, "every case printed");
}

/// Dtypes beyond plain numbers: one line per case with protocol, pickle hex, dtype.str, the
/// fields (`name:offset:dtype.str`, `;`-joined, or `-`), the datetime unit (or `-`), and the
/// data: the raw bytes in hex, or for an object array the elements' reprs.
const DTYPES: &str = r#"
import pickle, numpy as np
arrays = [
    np.array([(1, 2.5), (3, -1.0)], dtype=[('a', '<i4'), ('b', '>f8')]),
    np.array(['2024-01-02T03:04:05.000000006', 'NaT'], dtype='M8[ns]'),
    np.array([1, 2], dtype='m8[D]'),
    np.array(['ab', 'cde'], dtype='<U3'),
    np.array([b'ab', b'c'], dtype='S2'),
    np.array([1, 'a', None, (2, 3)], dtype=object),
    np.zeros(2, dtype=[('x', '<f4', (2,))]),
]
for a in arrays:
    for proto in (2, 3, 4, 5):
        data = pickle.dumps(a, protocol=proto)
        fields = ';'.join('%s:%d:%s' % (n, a.dtype.fields[n][1], a.dtype.fields[n][0].str)
                          for n in (a.dtype.names or ()))
        unit = np.datetime_data(a.dtype)[0] if a.dtype.kind in 'Mm' else '-'
        payload = repr([repr(x) for x in a.tolist()]) if a.dtype.kind == 'O' else a.tobytes().hex()
        print(proto, data.hex(), a.dtype.str, fields or '-', unit, payload, sep='\t')
"#;

#[test]
fn structured_datetime_string_and_object_dtypes() {
    let python = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let text = brine_python::run_script(&python, DTYPES, std::iter::empty::<&str>())
        .unwrap_or_else(|err| panic!("{err}"));
    let mut checked = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [proto, pickle, dtype, names, unit, payload] = fields[..] else {
            panic!("bad line {line}");
        };
        let pickle = hex(pickle);
        let graph = brine_vm::from_slice(&pickle, &Default::default()).unwrap();
        let interp = Interpreter::new(&graph);
        let case = format!("protocol {proto} {dtype}");
        let array = interp
            .ndarray(graph.root_value())
            .unwrap_or_else(|| panic!("{case}: not recognised"))
            .unwrap_or_else(|err| panic!("{case}: {err}"));
        // Python prints a datetime's dtype.str with its unit: '<M8[ns]'.
        assert_eq!(array.dtype.to_string(), dtype, "{case}");
        let ours: Vec<String> = array
            .dtype
            .fields
            .iter()
            .map(|f| format!("{}:{}:{}", f.name, f.offset, f.dtype))
            .collect();
        assert_eq!(
            if ours.is_empty() {
                "-".into()
            } else {
                ours.join(";")
            },
            names,
            "{case}"
        );
        let ours_unit = array
            .dtype
            .time_unit
            .as_ref()
            .map_or("-".to_owned(), |(unit, _)| unit.clone());
        assert_eq!(ours_unit, unit, "{case}");
        match &array.data {
            ArrayData::Bytes(bytes) => {
                let ours: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(ours, payload, "{case}");
            }
            ArrayData::Pickled(_) => panic!("{case}: joblib data in a plain pickle"),
            ArrayData::Objects(items) => {
                let reprs: Vec<String> = items
                    .iter()
                    .map(|item| format!("{:?}", graph.get(item)))
                    .collect();
                let ours = format!(
                    "[{}]",
                    reprs
                        .iter()
                        .map(|r| brine_lex::repr::str_repr(r.as_bytes()))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                assert_eq!(ours, payload, "{case}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 7 * 4, "every case printed");
}

/// Every numpy fixture of `fixtures/thirdparty` (numpy 2.1.3, protocols 2-5, out-of-band buffers
/// included) against what numpy said of it when the generator loaded it (`expect/*.json`):
/// the shape, the order and a SHA-256 of `tobytes(order='A')` for arrays, the raw bytes of
/// scalars, `dtype.str` of dtypes.
#[test]
fn the_numpy_fixtures_read_as_numpy_described_them() {
    use sha2::{Digest, Sha256};
    let mut arrays = 0;
    let mut scalars = 0;
    let mut dtypes = 0;
    for fixture in brine_testdata::thirdparty() {
        if fixture.library != "numpy" {
            continue;
        }
        let expect: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture.expect_path()).unwrap()).unwrap();
        let buffers: Vec<Bytes> = fixture
            .buffer_bytes()
            .into_iter()
            .map(Bytes::from)
            .collect();
        let pickle = fixture.bytes();
        let graph = brine_vm::Decoder::new(Default::default())
            .buffers(&buffers)
            .from_slice(&pickle)
            .unwrap_or_else(|err| panic!("{}: {err}", fixture.path));
        let interp = Interpreter::new(&graph);
        let case = &fixture.path;
        if let Some(dtype) = expect.get("str") {
            let ours = interp.dtype(graph.root_value()).unwrap().unwrap();
            assert_eq!(ours.to_string(), dtype.as_str().unwrap(), "{case}");
            dtypes += 1;
            continue;
        }
        let array = interp
            .ndarray(graph.root_value())
            .unwrap_or_else(|| panic!("{case}: not recognised"))
            .unwrap_or_else(|err| panic!("{case}: {err}"));
        if let Some(hex) = expect.get("bytes") {
            let ours: String = array
                .bytes()
                .unwrap()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(ours, hex.as_str().unwrap(), "{case}");
            assert!(array.shape.is_empty(), "{case}: a scalar is 0-d");
            scalars += 1;
            continue;
        }
        let shape: Vec<u64> = expect["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(array.shape, shape, "{case}");
        assert_eq!(
            array.fortran_order,
            expect["fortran"].as_bool().unwrap(),
            "{case}"
        );
        match (&array.data, expect.get("sha256"), expect.get("items")) {
            (ArrayData::Bytes(bytes), Some(digest), _) => {
                // numpy's `__setstate__` (protocols 2-4) turns a big-endian array into a
                // native one as it loads it, `_frombuffer` (protocol 5) does not; the expected
                // descr says which. brine keeps the bytes as the pickle holds them.
                let mut bytes = bytes.to_vec();
                let loaded_native = expect["descr"].as_str().unwrap().contains("'<");
                if array.dtype.byte_order == brine_interpret::numpy::ByteOrder::Big && loaded_native
                {
                    let size = array.dtype.item_size as usize;
                    bytes.chunks_exact_mut(size).for_each(<[u8]>::reverse);
                }
                let ours: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(ours, digest.as_str().unwrap(), "{case}");
            }
            (ArrayData::Objects(items), _, Some(expected)) => {
                assert_eq!(items.len(), expected.as_array().unwrap().len(), "{case}");
            }
            other => panic!("{case}: data {other:?}"),
        }
        arrays += 1;
    }
    // 118 numpy fixtures: every one is an array, a scalar or a dtype.
    assert_eq!(
        arrays + scalars + dtypes,
        118,
        "{arrays} arrays, {scalars} scalars, {dtypes} dtypes"
    );
}

/// Pickles as numpy under Python 2 writes them (protocol 2: every `str` a Python 2 `str`,
/// SHORT_BINSTRING or BINSTRING, the data included), assembled opcode by opcode since no
/// Python 2 here has numpy; numpy under Python 3 reads each with `encoding='latin1'`, as its
/// documentation says to, and prints what it is: pickle hex, the dtype's kind and size, shape,
/// is-fortran, the values in storage order. (numpy gives the array in native byte order where
/// the pickle says big-endian; brine keeps the order written, so the values are compared.)
const PYTHON2: &str = r#"
import pickle, struct, numpy as np

def s(raw):
    return (b'U' + bytes([len(raw)]) if len(raw) < 256 else b'T' + struct.pack('<i', len(raw))) + raw

def dtype(a):
    d = a.dtype
    return (b'cnumpy\ndtype\n' + s(d.str[1:].encode()) + b'K\x00K\x01\x87R(K\x03' + s(d.str[0].encode())
            + b'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb')

def array(a):
    fortran = bool(a.flags.f_contiguous and not a.flags.c_contiguous)
    shape = b'(' + b''.join(b'J' + struct.pack('<i', n) for n in a.shape) + b't'
    return (b'\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85' + s(b'b')
            + b'\x87R(K\x01' + shape + dtype(a) + (b'\x88' if fortran else b'\x89')
            + s(a.tobytes(order='F' if fortran else 'C')) + b'tb.')

def scalar(x):
    return b'\x80\x02cnumpy.core.multiarray\nscalar\n' + dtype(np.asarray(x)) + s(x.tobytes()) + b'\x86R.'

cases = [array(np.arange(256, dtype='<u1')), array(np.arange(6, dtype='>i4').reshape(2, 3)),
         array(np.asfortranarray(np.linspace(-1, 1, 6, dtype='<f8').reshape(2, 3))),
         array(np.zeros(0, dtype='<i8')), scalar(np.float64(-1.5)), scalar(np.int32(-7))]
for data in cases:
    a = pickle.loads(data, encoding='latin1')
    a = np.asarray(a)
    fortran = bool(a.flags.f_contiguous and not a.flags.c_contiguous) and a.ndim > 1
    flat = a.ravel(order='F' if fortran else 'C').tolist() if a.ndim else [a.item()]
    print(data.hex(), a.dtype.str[1:], ','.join(map(str, a.shape)) or '-', int(fortran),
          repr(flat), sep='\t')
"#;

#[test]
fn python2_pickles_read_as_numpy_reads_them() {
    let python = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let text = brine_python::run_script(&python, PYTHON2, std::iter::empty::<&str>())
        .unwrap_or_else(|err| panic!("{err}"));
    let mut checked = 0;
    for line in text.lines() {
        let [pickle, dtype, shape, fortran, values] = line.split('\t').collect::<Vec<_>>()[..]
        else {
            panic!("bad line {line}");
        };
        let graph = brine_vm::from_slice(&hex(pickle), &Default::default())
            .unwrap_or_else(|err| panic!("{dtype}: {err}"));
        let array = Interpreter::new(&graph)
            .ndarray(graph.root_value())
            .unwrap_or_else(|| panic!("{dtype}: not recognised"))
            .unwrap_or_else(|err| panic!("{dtype} ({shape}): {err}"));
        let case = format!("{dtype} shape ({shape})");
        assert_eq!(array.dtype.to_string()[1..], *dtype, "{case}");
        let expected_shape: Vec<u64> = match shape {
            "-" => Vec::new(),
            dims => dims.split(',').map(|d| d.parse().unwrap()).collect(),
        };
        assert_eq!(array.shape, expected_shape, "{case}");
        assert_eq!(array.fortran_order, fortran == "1", "{case}");
        assert_eq!(python_repr(&array), values, "{case}");
        checked += 1;
    }
    assert_eq!(checked, 6, "every case printed");
}
