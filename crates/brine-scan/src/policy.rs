//! What safe loading refuses: a [`Policy`] over a scan's report.

use crate::lists;
use crate::report::{Finding, PickleReport, Verdict};

/// Which pickles a loader accepts, judged on a scan's [`PickleReport`].
///
/// Every policy refuses what is dangerous and what could not be scanned to its end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Policy {
    /// The scan's lists: refuses dangerous findings, and suspicious ones unless
    /// `dangerous_allow_suspicious` is set.
    #[default]
    Lists,
    /// The lists, with suspicious findings (unknown classes) accepted: for pickles of a
    /// project's own classes. Dangerous findings are still refused.
    DangerousAllowSuspicious,
    /// What PyTorch's `weights_only` unpickler accepts: tensors, storages, parameters,
    /// ordered dicts, builtins containers and scalars, numpy arrays; nothing else.
    WeightsOnly,
    /// Only the globals these entries name (`module.qualname` or `module.*`); the deny
    /// list still applies.
    AllowList(Vec<String>),
}

/// Why a pickle was refused: the global and its offset, from the finding that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The finding that decided, or `None` when the pickle could not be scanned to its end.
    pub finding: Option<Finding>,
    /// The verdict of the pickle.
    pub verdict: Verdict,
    /// Why, in words.
    pub reason: String,
}

/// What PyTorch 2.x's `weights_only` unpickler allows (`torch/_weights_only_unpickler.py`,
/// `_get_allowed_globals`), as list entries.
pub const WEIGHTS_ONLY: &[&str] = &[
    "collections.OrderedDict",
    "collections.Counter",
    "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout",
    "torch.Size",
    "torch.Tensor",
    "torch.device",
    "torch._tensor._rebuild_from_type_v2",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_sparse_csr_tensor",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_nested_tensor",
    // torch._tensor_classes, which the tar format of torch < 0.4 names in its tensor records.
    "torch.DoubleTensor",
    "torch.FloatTensor",
    "torch.HalfTensor",
    "torch.BFloat16Tensor",
    "torch.LongTensor",
    "torch.IntTensor",
    "torch.ShortTensor",
    "torch.CharTensor",
    "torch.ByteTensor",
    "torch.BoolTensor",
    "torch.cuda.DoubleTensor",
    "torch.cuda.FloatTensor",
    "torch.cuda.HalfTensor",
    "torch.cuda.BFloat16Tensor",
    "torch.cuda.LongTensor",
    "torch.cuda.IntTensor",
    "torch.cuda.ShortTensor",
    "torch.cuda.CharTensor",
    "torch.cuda.ByteTensor",
    "torch.cuda.BoolTensor",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
    "torch.FloatStorage",
    "torch.DoubleStorage",
    "torch.HalfStorage",
    "torch.BFloat16Storage",
    "torch.LongStorage",
    "torch.IntStorage",
    "torch.ShortStorage",
    "torch.CharStorage",
    "torch.ByteStorage",
    "torch.BoolStorage",
    "torch.ComplexFloatStorage",
    "torch.ComplexDoubleStorage",
    "torch.QUInt8Storage",
    "torch.QInt8Storage",
    "torch.QInt32Storage",
    "torch.QUInt4x2Storage",
    "torch.QUInt2x4Storage",
    "torch.float16",
    "torch.float32",
    "torch.float64",
    "torch.bfloat16",
    "torch.int8",
    "torch.int16",
    "torch.int32",
    "torch.int64",
    "torch.uint8",
    "torch.bool",
    "torch.complex64",
    "torch.complex128",
    "torch.strided",
    "torch.sparse_coo",
    "torch.sparse_csr",
    "torch.per_tensor_affine",
    "torch.per_channel_affine",
    "torch.contiguous_format",
    "torch.channels_last",
    "torch.preserve_format",
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "builtins.complex",
    "builtins.slice",
    "builtins.range",
    "_codecs.encode",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.dtypes.*",
];

impl Policy {
    /// Whether this policy refuses the pickle `report` describes, and why.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_scan::Policy;
    ///
    /// let report = brine_scan::scan_pickle(b"\x80\x02cmypkg\nNet\n)\x81.", &Default::default());
    /// assert!(Policy::Lists.refusal(&report).is_some());
    /// assert!(Policy::DangerousAllowSuspicious.refusal(&report).is_none());
    /// assert!(Policy::AllowList(vec!["mypkg.Net".into()]).refusal(&report).is_none());
    /// ```
    pub fn refusal(&self, report: &PickleReport) -> Option<Refusal> {
        if let Some(finding) = report
            .findings
            .iter()
            .find(|finding| finding.verdict == Verdict::Dangerous)
        {
            return Some(refuse(report, finding, "dangerous"));
        }
        if report.verdict == Verdict::Inconclusive {
            return Some(Refusal {
                finding: None,
                verdict: report.verdict,
                reason: format!(
                    "the pickle could not be scanned to its end: {}",
                    report.error.as_deref().unwrap_or("a limit was reached")
                ),
            });
        }
        let allowed = |finding: &Finding, entries: &[&str]| {
            let Some((module, name)) = finding.global.as_deref().and_then(split_global) else {
                return false;
            };
            entries
                .iter()
                .any(|entry| lists::matches(entry, module, name))
        };
        let refused = report.findings.iter().find(|finding| match self {
            Policy::Lists => finding.verdict > Verdict::Safe,
            Policy::DangerousAllowSuspicious => false,
            Policy::WeightsOnly => !allowed(finding, WEIGHTS_ONLY),
            Policy::AllowList(entries) => {
                let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
                !allowed(finding, &entries)
            }
        });
        refused.map(|finding| refuse(report, finding, "not allowed"))
    }
}

fn refuse(report: &PickleReport, finding: &Finding, what: &str) -> Refusal {
    // The offset in the blob the pickle was read from: a stream of several pickles (the
    // legacy torch format) names the byte in the file, not in its pickle.
    let offset = finding.offset.map_or_else(String::new, |offset| {
        format!(" at offset {}", report.start + offset)
    });
    let global = finding.global.as_deref().unwrap_or("a computed value");
    Refusal {
        finding: Some(finding.clone()),
        verdict: report.verdict,
        reason: format!("{what}: {global}{offset}: {}", finding.reason),
    }
}

/// `module.name` split where a global's module would end: the longest module prefix is
/// not knowable from the text, so list entries are matched on each split.
fn split_global(global: &str) -> Option<(&str, &str)> {
    global.rsplit_once('.')
}
