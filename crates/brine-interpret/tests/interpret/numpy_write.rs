//! Arrays written back: the graph `NdArray::to_graph` makes, encoded by brine-encode, must be
//! the bytes numpy's own pickling writes, and numpy must load what brine writes to the equal
//! array (the venv's numpy decides, never brine).

use std::io::Write;
use std::process::{Command, Stdio};

use brine_interpret::Interpreter;
use brine_interpret::numpy::{NdArray, PickleForm};
use bytes::Bytes;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn to_hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// One line per array and protocol: protocol, out of band (0/1), numpy's pickle, its buffers.
const NUMPY_PICKLES: &str = r#"
import pickle, numpy as np
arrays = [
    np.arange(6, dtype='<i1').reshape(2, 3), np.arange(6, dtype='>i2'),
    np.arange(6, dtype='<i4').reshape(3, 2), np.arange(6, dtype='<i8'),
    np.arange(6, dtype='<u1'), np.arange(6, dtype='<u2'), np.arange(6, dtype='<u4'),
    np.arange(6, dtype='<u8'), np.linspace(-1, 1, 5, dtype='<f2'),
    np.linspace(-1, 1, 5, dtype='<f4'), np.linspace(-1, 1, 5, dtype='>f8'),
    np.asfortranarray(np.arange(12, dtype='<f8').reshape(3, 4)),
    np.array([True, False, True]), np.array(3.5), np.zeros((0, 4), dtype='<i4'),
    np.array([1 + 2j, -3.5j], dtype='<c8'), np.array([1 + 2j, -3.5j], dtype='<c16'),
    np.arange(70000, dtype='<f4'),
]
for a in arrays:
    for proto in (2, 3, 4, 5):
        for oob in ((0, 1) if proto == 5 else (0,)):
            buffers = []
            data = pickle.dumps(a, protocol=proto, buffer_callback=(buffers.append if oob else None))
            print(proto, oob, data.hex(), ','.join('x' + bytes(b.raw()).hex() for b in buffers) or '-', sep='\t')
"#;

fn python() -> Option<std::path::PathBuf> {
    match brine_python::venv() {
        Ok(python) => Some(python),
        Err(err) => {
            brine_python::skip(err);
            None
        }
    }
}

fn run(python: &std::path::Path, script: &str, input: &str) -> String {
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run numpy");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn encode(array: &NdArray<'_>, protocol: u8, form: PickleForm) -> (Vec<u8>, Vec<Bytes>) {
    let graph = array.to_graph(&form).unwrap();
    let mut buffers = Vec::new();
    let pickle = brine_encode::Encoder::new(brine_encode::Options::protocol(protocol))
        .buffer_callback(|buffer| {
            buffers.extend(buffer.data.clone());
            false
        })
        .to_vec(&graph)
        .unwrap();
    (pickle, buffers)
}

#[test]
fn written_back_byte_for_byte_as_numpy_writes() {
    let Some(python) = python() else { return };
    let text = run(&python, NUMPY_PICKLES, "");
    let mut checked = 0;
    for line in text.lines() {
        let [proto, oob, pickle, buffers] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("bad line {line}");
        };
        let buffers: Vec<Bytes> = match buffers {
            "-" => Vec::new(),
            list => list.split(',').map(|b| Bytes::from(hex(&b[1..]))).collect(),
        };
        let pickle = hex(pickle);
        let protocol: u8 = proto.parse().unwrap();
        let graph = brine_vm::Decoder::new(Default::default())
            .buffers(&buffers)
            .from_slice(&pickle)
            .unwrap();
        let array = Interpreter::new(&graph)
            .ndarray(graph.root_value())
            .unwrap()
            .unwrap();
        let mut form = PickleForm::numpy(protocol);
        if oob == "1" {
            form = form.out_of_band();
        }
        let (ours, our_buffers) = encode(&array, protocol, form);
        let case = format!(
            "protocol {proto} oob {oob} {} {:?}",
            array.dtype, array.shape
        );
        assert_eq!(to_hex(&ours), to_hex(&pickle), "{case}");
        assert_eq!(our_buffers, buffers, "{case}");
        checked += 1;
    }
    assert_eq!(checked, 18 * 5, "every case printed");
}

/// Reads `protocol \t names \t pickle \t buffers \t dtype \t shape \t values` lines and prints,
/// for each, what numpy loaded: `dtype.str`, the shape, whether the values are equal.
const LOAD: &str = r#"
import sys, pickle, json, numpy as np
for line in sys.stdin:
    proto, names, data, buffers, dtype, shape, values = line.rstrip('\n').split('\t')
    bufs = [bytes.fromhex(b[1:]) for b in buffers.split(',')] if buffers != '-' else None
    a = pickle.loads(bytes.fromhex(data), buffers=bufs)
    shape = tuple(json.loads(shape))
    want = np.array([complex(*v) if isinstance(v, list) else v for v in json.loads(values)],
                    dtype=dtype).reshape(shape)
    print(a.dtype.str, list(a.shape), bool(np.array_equal(a, want)) and a.dtype == want.dtype
          and a.shape == want.shape, sep='\t')
"#;

#[test]
fn numpy_loads_what_brine_writes() {
    let Some(python) = python() else { return };
    let arrays: Vec<(NdArray<'static>, &str, &str)> = vec![
        (
            NdArray::from_slice(&[true, false, true], &[3]).unwrap(),
            "|b1",
            "[true, false, true]",
        ),
        (
            NdArray::from_slice(&[-1i8, 2, -3, 4], &[2, 2]).unwrap(),
            "|i1",
            "[-1, 2, -3, 4]",
        ),
        (
            NdArray::from_slice(&[-1i16, 300], &[2]).unwrap(),
            "<i2",
            "[-1, 300]",
        ),
        (
            NdArray::from_slice(&[-1i32, 70000], &[2, 1]).unwrap(),
            "<i4",
            "[-1, 70000]",
        ),
        (
            NdArray::from_slice(&[i64::MIN, i64::MAX], &[2]).unwrap(),
            "<i8",
            "[-9223372036854775808, 9223372036854775807]",
        ),
        (
            NdArray::from_slice(&[255u8, 0], &[2]).unwrap(),
            "|u1",
            "[255, 0]",
        ),
        (
            NdArray::from_slice(&[65535u16], &[1]).unwrap(),
            "<u2",
            "[65535]",
        ),
        (
            NdArray::from_slice(&[4000000000u32], &[]).unwrap(),
            "<u4",
            "[4000000000]",
        ),
        (
            NdArray::from_slice(&[u64::MAX, 1], &[1, 2]).unwrap(),
            "<u8",
            "[18446744073709551615, 1]",
        ),
        (
            NdArray::from_slice(&[half::f16::from_f32(0.5), half::f16::from_f32(-2.0)], &[2])
                .unwrap(),
            "<f2",
            "[0.5, -2.0]",
        ),
        (
            NdArray::from_slice(&[1.25f32, -0.5, 3.0], &[3]).unwrap(),
            "<f4",
            "[1.25, -0.5, 3.0]",
        ),
        (
            NdArray::from_slice(&[1.25f64, -0.5, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap(),
            "<f8",
            "[1.25, -0.5, 3.0, 4.0, 5.0, 6.0]",
        ),
        (
            NdArray::from_slice(&[[1.0f32, 2.0], [-3.5, 0.0]], &[2]).unwrap(),
            "<c8",
            "[[1.0, 2.0], [-3.5, 0.0]]",
        ),
        (
            NdArray::from_slice(&[[1.0f64, 2.0]], &[1]).unwrap(),
            "<c16",
            "[[1.0, 2.0]]",
        ),
        (
            NdArray::from_slice::<f32>(&[], &[0, 3]).unwrap(),
            "<f4",
            "[]",
        ),
    ];
    let mut input = String::new();
    let mut cases = Vec::new();
    for (array, dtype, values) in &arrays {
        for protocol in 2..=5u8 {
            for (names, numpy1) in [("2", false), ("1", true)] {
                for oob in if protocol == 5 {
                    &[false, true][..]
                } else {
                    &[false][..]
                } {
                    let mut form = PickleForm::numpy(protocol);
                    if numpy1 {
                        form = form.numpy1();
                    }
                    if *oob {
                        form = form.out_of_band();
                    }
                    let (pickle, buffers) = encode(array, protocol, form);
                    let buffers: Vec<String> =
                        buffers.iter().map(|b| format!("x{}", to_hex(b))).collect();
                    let shape = format!("{:?}", array.shape);
                    input.push_str(&format!(
                        "{protocol}\t{names}\t{}\t{}\t{dtype}\t{shape}\t{values}\n",
                        to_hex(&pickle),
                        if buffers.is_empty() {
                            "-".to_owned()
                        } else {
                            buffers.join(",")
                        }
                    ));
                    cases.push(format!(
                        "{dtype} {shape} protocol {protocol} numpy{names} oob {oob}"
                    ));
                }
            }
        }
    }
    let out = run(&python, LOAD, &input);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), cases.len());
    for ((line, case), (array, dtype, _)) in lines
        .iter()
        .zip(&cases)
        .zip(arrays.iter().flat_map(|a| std::iter::repeat_n(a, 10)))
    {
        let shape: Vec<String> = array.shape.iter().map(u64::to_string).collect();
        assert_eq!(
            *line,
            format!("{dtype}\t[{}]\tTrue", shape.join(", ")),
            "{case}"
        );
    }
}
