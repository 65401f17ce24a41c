//! The extension registry: the integer codes `copyreg.add_extension` assigns to globals,
//! which EXT1, EXT2 and EXT4 refer to.

use hashbrown::HashMap;

/// Codes for globals, as registered with Python's `copyreg.add_extension`.
///
/// Empty by default, as in CPython: a pickle that uses an extension code can only be read by
/// a program that registered the same code.
///
/// # Example
///
/// ```
/// let mut registry = brine_value::ExtensionRegistry::new();
/// registry.add(0x7F, "brine_fixtures", "Plain").unwrap();
/// assert_eq!(registry.global(0x7F), Some(("brine_fixtures", "Plain")));
/// assert_eq!(registry.code("brine_fixtures", "Plain"), Some(0x7F));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionRegistry {
    by_code: HashMap<i32, (String, String)>,
    by_name: HashMap<(String, String), i32>,
}

/// Why an extension could not be registered (the checks of `copyreg.add_extension`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionError {
    /// Codes run from 1 to 0x7fffffff.
    CodeOutOfRange(i64),
    /// The code is already registered for another global.
    CodeInUse(i32),
    /// The global already has another code.
    NameInUse(String, String),
}

impl std::fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtensionError::CodeOutOfRange(code) => write!(f, "extension code {code} out of range"),
            ExtensionError::CodeInUse(code) => {
                write!(f, "extension code {code} is already in use")
            }
            ExtensionError::NameInUse(module, name) => {
                write!(f, "{module}.{name} is already registered with another code")
            }
        }
    }
}

impl std::error::Error for ExtensionError {}

impl ExtensionRegistry {
    /// An empty registry.
    pub fn new() -> ExtensionRegistry {
        ExtensionRegistry::default()
    }

    /// Registers `code` for `module.name`.
    ///
    /// # Errors
    ///
    /// As `copyreg.add_extension`: a code outside 1..=0x7fffffff, or a code or name already
    /// registered with something else. Registering the same pair twice is fine.
    pub fn add(&mut self, code: i64, module: &str, name: &str) -> Result<(), ExtensionError> {
        let code = i32::try_from(code)
            .ok()
            .filter(|&code| code >= 1)
            .ok_or(ExtensionError::CodeOutOfRange(code))?;
        let key = (module.to_owned(), name.to_owned());
        match (self.by_code.get(&code), self.by_name.get(&key)) {
            (Some(existing), _) if *existing == key => return Ok(()),
            (Some(_), _) => return Err(ExtensionError::CodeInUse(code)),
            (None, Some(_)) => return Err(ExtensionError::NameInUse(key.0, key.1)),
            (None, None) => {}
        }
        self.by_code.insert(code, key.clone());
        self.by_name.insert(key, code);
        Ok(())
    }

    /// The global registered under `code`.
    pub fn global(&self, code: i64) -> Option<(&str, &str)> {
        let code = i32::try_from(code).ok()?;
        self.by_code
            .get(&code)
            .map(|(module, name)| (module.as_str(), name.as_str()))
    }

    /// The code registered for `module.name`.
    pub fn code(&self, module: &str, name: &str) -> Option<i32> {
        self.by_name
            .get(&(module.to_owned(), name.to_owned()))
            .copied()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}
