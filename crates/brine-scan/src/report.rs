//! What a scan found: [`Finding`]s with a [`Verdict`] each, per pickle ([`PickleReport`]) and
//! per file ([`FileReport`]), whose verdict may also be [`Verdict::Inconclusive`].

use std::fmt;

/// How bad a finding (or a pickle, or a file) is. Ordered: a file's verdict is the greatest
/// of its parts', and [`Verdict::Inconclusive`] sits just below dangerous, so that a file
/// that could not be scanned to its end is never reported clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Known honest: on the allow list.
    Safe,
    /// Neither known honest nor known dangerous: an unknown class or function, a structure
    /// honest picklers do not write.
    Suspicious,
    /// Could not be scanned to its end (a truncated stream, a limit, an unsupported
    /// container) with nothing dangerous before the fault. Files and pickles only.
    Inconclusive,
    /// Runs code, imports, spawns, opens files or sockets, or hides what it calls.
    Dangerous,
}

impl Verdict {
    /// The verdict's name: `safe`, `suspicious`, `inconclusive`, `dangerous`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Suspicious => "suspicious",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Dangerous => "dangerous",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing a pickle would do, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad it is.
    pub verdict: Verdict,
    /// The global involved, `module.qualname` (`posix.system`), when there is one.
    pub global: Option<String>,
    /// The call as Python would read it, with constant arguments (`posix.system('ls')`),
    /// when the finding is a call.
    pub call: Option<String>,
    /// The byte offset, from the start of the pickle, of the opcode that did it.
    pub offset: Option<u64>,
    /// Why it has this verdict.
    pub reason: String,
}

/// The scan of one pickle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleReport {
    /// Where the pickle starts in the bytes scanned.
    pub start: u64,
    /// Where it ends: after its STOP, or at the fault.
    pub end: u64,
    /// The pickle's verdict: the greatest of its findings', or inconclusive when it could
    /// not be read to its end with nothing dangerous before the fault.
    pub verdict: Verdict,
    /// What it would do that is not safe, then each distinct safe global once.
    pub findings: Vec<Finding>,
    /// Findings left out beyond the report's limit.
    pub omitted: usize,
    /// Why the pickle could not be read to its end, when it could not.
    pub error: Option<String>,
}

/// The scan of one member of a file (a pickle stream, a zip member, ...), or a note about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberReport {
    /// The file, then each member inside it, outermost first.
    pub path: Vec<String>,
    /// The member's verdict.
    pub verdict: Verdict,
    /// What it holds.
    pub kind: MemberKind,
}

/// What a [`MemberReport`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberKind {
    /// Pickles, each scanned.
    Pickles(Vec<PickleReport>),
    /// A member with no pickle in it, and what it is (safe).
    Skipped(String),
    /// A member that could not be opened to its end (inconclusive).
    Inconclusive(String),
    /// Something about the container worth telling (TorchScript code, headers that differ):
    /// safe by itself.
    Note(String),
}

/// The scan of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file's name as given.
    pub path: String,
    /// The greatest verdict of its members; [`Verdict::Inconclusive`] for a file with
    /// nothing in it that could be scanned.
    pub verdict: Verdict,
    /// Every member, in the order found.
    pub members: Vec<MemberReport>,
}

impl FileReport {
    /// Every finding of the file that is not safe, with the member it is in.
    pub fn unsafe_findings(&self) -> impl Iterator<Item = (&MemberReport, &Finding)> {
        self.members.iter().flat_map(|member| {
            let pickles: &[PickleReport] = match &member.kind {
                MemberKind::Pickles(pickles) => pickles,
                _ => &[],
            };
            pickles
                .iter()
                .flat_map(|pickle| pickle.findings.iter())
                .filter(|finding| finding.verdict > Verdict::Safe)
                .map(move |finding| (member, finding))
        })
    }
}
