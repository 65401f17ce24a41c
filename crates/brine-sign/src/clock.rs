//! Where "now" comes from: the system clock, or a fixed time that tests inject.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// The source of the current time, for issued-at times and for age checks.
///
/// # Example
///
/// ```
/// use brine_sign::{Clock, Key, SignOptions};
///
/// let key = Key::new("k1", &[7; 32])?;
/// let opts = SignOptions::default().with_clock(Clock::from_unix(1_700_000_000));
/// let envelope = brine_sign::sign(&key, &opts, b"payload")?;
/// let verified = brine_sign::verify(&key.clone().into(), &Default::default(), &envelope);
/// assert_eq!(verified?.header().issued_at(), Some(1_700_000_000));
/// # Ok::<(), brine_sign::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Clock {
    /// [`SystemTime::now`].
    #[default]
    System,
    /// Always this time.
    Fixed(SystemTime),
}

impl Clock {
    /// A clock fixed at `secs` seconds after 1970-01-01T00:00:00Z.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let clock = brine_sign::Clock::from_unix(60);
    /// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(60));
    /// ```
    pub fn from_unix(secs: u64) -> Clock {
        Clock::Fixed(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// The current time by this clock.
    ///
    /// # Example
    ///
    /// ```
    /// let clock = brine_sign::Clock::System;
    /// assert!(clock.now() > std::time::UNIX_EPOCH);
    /// ```
    pub fn now(&self) -> SystemTime {
        match self {
            Clock::System => SystemTime::now(),
            Clock::Fixed(time) => *time,
        }
    }

    /// The current time in whole seconds since the Unix epoch.
    pub(crate) fn now_unix(&self) -> Result<u64, Error> {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs())
            .map_err(|_| Error::ClockBeforeEpoch)
    }
}
