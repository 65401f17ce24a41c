//! Reading a large float32 array costs no copy of its data: for 64 MiB, 256 MiB and 1 GiB
//! arrays, written under `target/no-copy/` at run time as a protocol 5 pickle (the data in
//! band, BYTEARRAY8), a protocol 4 pickle (BINBYTES, as CPython writes bytes under 4 GiB) and
//! a `.npy` file, each file is memory-mapped and then read as an `NdArray` in a child
//! process, which reports the time of the second step and its peak resident memory (`VmHWM`,
//! the pages of the input it touched included).
//!
//! ```sh
//! cargo run --release -p brine-container --example no_copy
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use brine_interpret::Interpreter;
use brine_interpret::numpy::{NdArray, PickleForm};
use bytes::Bytes;

const SIZES: [(u64, &str); 3] = [
    (64 << 20, "64 MiB"),
    (256 << 20, "256 MiB"),
    (1 << 30, "1 GiB"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, path] = &args[..] {
        return read(mode, Path::new(path));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/no-copy");
    std::fs::create_dir_all(&dir)?;
    println!("| data | file | read time | peak RSS | data borrowed from the input |");
    println!("|---|---|---|---|---|");
    for (size, label) in SIZES {
        let files = write(&dir, size)?;
        for (mode, path, what) in files {
            let out = Command::new(std::env::current_exe()?)
                .arg(mode)
                .arg(&path)
                .output()?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
            }
            let line = String::from_utf8(out.stdout)?;
            println!("| {label} | {what} | {} |", line.trim());
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// A file to read: how (`pickle` or `npy`), where, and what it is.
type File = (&'static str, PathBuf, &'static str);

/// The three files of one size; the array is `i as f32` for each index.
fn write(dir: &Path, size: u64) -> Result<Vec<File>, Box<dyn std::error::Error>> {
    let count = size / 4;
    let items: Vec<f32> = (0..count).map(|i| i as f32).collect();
    let array = NdArray::from_slice(&items, &[count])?;
    drop(items);
    let mut files = Vec::new();
    for (protocol, name, what) in [
        (5u8, "p5.pickle", "pickle, protocol 5 (BYTEARRAY8)"),
        (4, "p4.pickle", "pickle, protocol 4 (BINBYTES)"),
    ] {
        let graph = array.to_graph(&PickleForm::numpy(protocol))?;
        let path = dir.join(name);
        let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        brine_encode::to_writer(&graph, file, &brine_encode::Options::protocol(protocol))?;
        files.push(("pickle", path, what));
    }
    // numpy's format 1.0: the header padded with spaces to a multiple of 64 bytes.
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({count},), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&u16::try_from(header.len())?.to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend_from_slice(array.bytes().ok_or("no bytes")?);
    let path = dir.join("array.npy");
    std::fs::write(&path, npy)?;
    files.push(("npy", path, ".npy"));
    Ok(files)
}

/// In the child: map, read, check, and print `time | peak RSS | borrowed`.
fn read(mode: &str, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // Memory-mapped (brine-mmap holds the one unsafe call): only the pages a reader touches
    // become resident, so the peak shows what reading costs, not the file's size.
    let data: Bytes = brine_mmap::read(path)?;
    let start = Instant::now();
    let span = data.as_ptr() as usize..data.as_ptr() as usize + data.len();
    let (len, first, last, borrowed) = match mode {
        "pickle" => {
            let graph = brine_vm::from_bytes(data.clone(), &Default::default())?;
            let array = Interpreter::new(&graph)
                .ndarray(graph.root_value())
                .ok_or("not an array")??;
            summary(&array, &span)?
        }
        _ => {
            let npy = brine_container::npy::read(data.clone())?;
            summary(&npy.array()?, &span)?
        }
    };
    let elapsed = start.elapsed();
    assert_eq!(last, (len - 1) as f32, "the last element");
    assert_eq!(first, 0.0);
    println!(
        "{:.3} ms | {} MiB | {}",
        elapsed.as_secs_f64() * 1e3,
        peak_rss_kib()? / 1024,
        if borrowed { "yes" } else { "no" }
    );
    Ok(())
}

/// The element count, the first and last elements (read from their bytes), and whether the
/// data lies inside the mapped file.
fn summary(
    array: &NdArray<'_>,
    span: &std::ops::Range<usize>,
) -> Result<(u64, f32, f32, bool), Box<dyn std::error::Error>> {
    let bytes = array.bytes().ok_or("no bytes")?;
    let at = |i: usize| f32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let borrowed = span.contains(&(bytes.as_ptr() as usize));
    Ok((array.len(), at(0), at(bytes.len() - 4), borrowed))
}

fn peak_rss_kib() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .ok_or("no VmHWM")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("no VmHWM value")?
        .parse()?)
}
