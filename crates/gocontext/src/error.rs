//! Why a context ended: [`Error`] (Go's `Canceled` / `DeadlineExceeded`) and [`Cause`].

use core::fmt;

/// The reason a context was cancelled: Go's `context.Canceled` and
/// `context.DeadlineExceeded`.
///
/// `Display` prints Go's messages exactly. `DeadlineExceeded` reports
/// [`Error::is_timeout`] and [`Error::is_temporary`] as `true`, as Go's value
/// implements `Timeout()` and `Temporary()` (so it is a `net.Error`).
///
/// # Examples
///
/// ```
/// use gocontext::Error;
/// assert_eq!(Error::Canceled.to_string(), "context canceled");
/// assert_eq!(Error::DeadlineExceeded.to_string(), "context deadline exceeded");
/// assert!(Error::DeadlineExceeded.is_timeout());
/// assert!(!Error::Canceled.is_timeout());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The context was cancelled by a cancel function (its own or an
    /// ancestor's). Go: `context.Canceled`.
    #[doc(alias = "context.Canceled")]
    Canceled,
    /// The context's deadline passed. Go: `context.DeadlineExceeded`.
    #[doc(alias = "context.DeadlineExceeded")]
    DeadlineExceeded,
}

impl Error {
    /// Whether this is a timeout. Go: `deadlineExceededError.Timeout()`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gocontext::Error::DeadlineExceeded.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::DeadlineExceeded)
    }

    /// Whether this is temporary. Go: `deadlineExceededError.Temporary()`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(gocontext::Error::DeadlineExceeded.is_temporary());
    /// ```
    pub fn is_temporary(&self) -> bool {
        matches!(self, Error::DeadlineExceeded)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl core::error::Error for Error {}

/// A cancellation cause: any shared error. Go 1.20: the `error` passed to a
/// `CancelCauseFunc` and returned by `context.Cause`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let c: gocontext::Cause = Arc::new(gocontext::Error::Canceled);
/// assert_eq!(c.to_string(), "context canceled");
/// ```
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub type Cause = alloc::sync::Arc<dyn core::error::Error + Send + Sync>;
