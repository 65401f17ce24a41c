//! [`Options`]: what the scan allows beyond its lists, and how far it goes.

/// How a scan judges and how far it reads. The default is the safe setting: the built-in
/// lists alone, limits on.
///
/// # Example
///
/// ```
/// let mut options = brine_scan::Options::default();
/// options.allow.push("mypkg.*".to_owned());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Globals allowed beyond the allow list, as `module.qualname` or `module.*` (a module
    /// and its submodules): a project's own classes. They never override the deny list.
    ///
    /// Default: none.
    pub allow: Vec<String>,
    /// The limits of the machine that runs each pickle; one reached is inconclusive.
    ///
    /// Default: brine-vm's defaults.
    pub vm_limits: brine_vm::Limits,
    /// How deep and how much the container reader opens; beyond is inconclusive.
    ///
    /// Default: brine-container's defaults.
    pub container_limits: brine_container::Limits,
    /// The most findings that are not safe kept per pickle; the rest are counted.
    ///
    /// Default: 1000.
    pub max_findings: usize,
    /// The most pickles read from one blob (concatenated pickles); more is inconclusive.
    ///
    /// Default: 4096.
    pub max_pickles: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            allow: Vec::new(),
            vm_limits: brine_vm::Limits::default(),
            container_limits: brine_container::Limits::default(),
            max_findings: 1000,
            max_pickles: 4096,
        }
    }
}
