//! What the retry loop asks an error: may another attempt succeed?

use std::io;
use std::time::Duration;

/// How an error bears on retrying.
///
/// [`#[derive(Transient)]`](derive@crate::Transient) writes the mapping from each variant's
/// attribute; the retry loop then acts on it:
///
/// ```
/// use std::time::Duration;
/// use resilient::{Classification, Transient};
///
/// #[derive(Debug, Transient)]
/// enum ApiError {
///     #[transient(throttled, retry_after = 0)]
///     TooManyRequests(Option<Duration>),
///     #[transient]
///     Unavailable,
///     #[permanent]
///     Forbidden,
/// }
///
/// let hint = Some(Duration::from_secs(2));
/// assert_eq!(ApiError::TooManyRequests(hint).classify(), Classification::Throttled { retry_after: hint });
/// assert_eq!(ApiError::Unavailable.classify(), Classification::Transient);
/// assert!(!ApiError::Forbidden.classify().is_retryable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Classification {
    /// A later attempt may succeed: wait the backoff delay and retry.
    Transient,
    /// The service asked us to slow down. Wait `max(retry_after, backoff delay)`, capped by
    /// the policy's `max_delay`, then retry.
    Throttled {
        /// The server's own delay (`Retry-After`), when it gave one.
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help (bad request, not found, forbidden): return the error at once.
    Permanent,
}

impl Classification {
    /// Whether another attempt may succeed.
    ///
    /// ```
    /// use resilient::Classification;
    /// assert!(Classification::Transient.is_retryable());
    /// assert!(!Classification::Permanent.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Classification::Permanent)
    }

    /// How an HTTP response's status bears on retrying, given the delay of its `Retry-After`
    /// header (see [`parse_retry_after`](crate::parse_retry_after)), for an error type that
    /// carries the status:
    ///
    /// | status | classification |
    /// | --- | --- |
    /// | 429 Too Many Requests | throttled, with the server's delay if it gave one |
    /// | 503 Service Unavailable | throttled with a `Retry-After`, else transient |
    /// | 408 Request Timeout, 500 Internal Server Error, 502 Bad Gateway, 504 Gateway Timeout | transient |
    /// | any other (the rest of 4xx: the request is wrong; 501, 505…: the server never will) | permanent |
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilient::{Classification, Transient};
    ///
    /// #[derive(Debug)]
    /// struct HttpError {
    ///     status: u16,
    ///     retry_after: Option<Duration>,
    /// }
    ///
    /// impl Transient for HttpError {
    ///     fn classify(&self) -> Classification {
    ///         Classification::from_http_status(self.status, self.retry_after)
    ///     }
    /// }
    ///
    /// let slow_down = HttpError { status: 429, retry_after: Some(Duration::from_secs(2)) };
    /// assert_eq!(slow_down.classify(), Classification::Throttled { retry_after: Some(Duration::from_secs(2)) });
    /// assert_eq!(HttpError { status: 404, retry_after: None }.classify(), Classification::Permanent);
    /// ```
    pub fn from_http_status(status: u16, retry_after: Option<Duration>) -> Classification {
        match status {
            429 => Classification::Throttled { retry_after },
            // A 503 with a `Retry-After` says when the service expects to be back (RFC 9110).
            503 if retry_after.is_some() => Classification::Throttled { retry_after },
            408 | 500 | 502 | 503 | 504 => Classification::Transient,
            _ => Classification::Permanent,
        }
    }
}

/// An error that knows whether retrying may help.
///
/// Derive it with [`#[derive(Transient)]`](derive@crate::Transient), marking each variant, or
/// implement it by hand:
///
/// ```
/// use resilient::{Classification, Transient};
///
/// struct HttpStatus(u16);
///
/// impl Transient for HttpStatus {
///     fn classify(&self) -> Classification {
///         match self.0 {
///             429 => Classification::Throttled { retry_after: None },
///             500..=599 => Classification::Transient,
///             _ => Classification::Permanent,
///         }
///     }
/// }
/// assert_eq!(HttpStatus(503).classify(), Classification::Transient);
/// ```
///
/// An error type of another crate's (`anyhow::Error`, `Box<dyn Error>`) cannot implement it in
/// yours: a function that returns one names a classifier where it retries,
/// [`#[retry(classify = path)]`](crate::retry).
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say which of its errors are transient",
    label = "`{Self}` does not implement `resilient::Transient`",
    note = "add `#[derive(resilient::Transient)]` to `{Self}` and mark each variant `#[transient]`, `#[transient(throttled)]` or `#[permanent]`, or implement `Transient` by hand",
    note = "if `{Self}` is another crate's type (`anyhow::Error`, `Box<dyn Error>`, …), classify it where it is retried, with `#[retry(classify = path)]` and `fn path(error: &{Self}) -> resilient::Classification`, or wrap it in an error enum of your own whose variant classifies it with `#[transient(with = path)]`"
)]
pub trait Transient {
    /// Classifies this error for the retry loop.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use resilient::{Classification, Transient};
    ///
    /// assert_eq!(Error::from(ErrorKind::TimedOut).classify(), Classification::Transient);
    /// assert_eq!(Error::from(ErrorKind::NotFound).classify(), Classification::Permanent);
    /// ```
    fn classify(&self) -> Classification;
}

/// An error behind a reference or a smart pointer classifies as the error itself: an error
/// type made `Clone` by an `Arc<io::Error>` field can delegate to it.
macro_rules! through_pointers {
    ($($pointer:ty),*) => {$(
        impl<T: Transient + ?Sized> Transient for $pointer {
            fn classify(&self) -> Classification {
                (**self).classify()
            }
        }
    )*};
}

through_pointers!(&T, Box<T>, std::rc::Rc<T>, std::sync::Arc<T>);

/// I/O errors by [`io::ErrorKind`]:
///
/// | kind | classification |
/// | --- | --- |
/// | `ConnectionReset`, `ConnectionAborted`, `ConnectionRefused`, `NotConnected`, `BrokenPipe` | transient: the peer or the path to it is restarting |
/// | `HostUnreachable`, `NetworkUnreachable`, `NetworkDown` | transient: a route or a link is down for now |
/// | `TimedOut`, `Interrupted`, `WouldBlock`, `UnexpectedEof`, `ResourceBusy` | transient: a later attempt may complete |
/// | every other kind (`NotFound`, `PermissionDenied`, `InvalidInput`, `InvalidData`, …) | permanent |
///
/// ```
/// use std::io;
/// use resilient::{Classification, Transient};
/// assert_eq!(io::Error::from(io::ErrorKind::ConnectionReset).classify(), Classification::Transient);
/// assert_eq!(io::Error::from(io::ErrorKind::NotFound).classify(), Classification::Permanent);
/// ```
impl Transient for io::Error {
    fn classify(&self) -> Classification {
        use io::ErrorKind::*;
        match self.kind() {
            ConnectionReset | ConnectionAborted | ConnectionRefused | NotConnected | BrokenPipe | HostUnreachable
            | NetworkUnreachable | NetworkDown | TimedOut | Interrupted | WouldBlock | UnexpectedEof | ResourceBusy => {
                Classification::Transient
            }
            _ => Classification::Permanent,
        }
    }
}

/// A `tokio::time::timeout` that ran out is transient: the next attempt may be faster.
impl Transient for tokio::time::error::Elapsed {
    fn classify(&self) -> Classification {
        Classification::Transient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_follow_the_documented_table() {
        use io::ErrorKind::*;
        let transient = [
            ConnectionReset,
            ConnectionAborted,
            ConnectionRefused,
            NotConnected,
            BrokenPipe,
            HostUnreachable,
            NetworkUnreachable,
            NetworkDown,
            TimedOut,
            Interrupted,
            WouldBlock,
            UnexpectedEof,
            ResourceBusy,
        ];
        for kind in transient {
            assert_eq!(io::Error::from(kind).classify(), Classification::Transient, "{kind:?}");
        }
        for kind in [
            NotFound,
            PermissionDenied,
            InvalidInput,
            InvalidData,
            AlreadyExists,
            Unsupported,
            OutOfMemory,
            Other,
            AddrInUse,
            StorageFull,
        ] {
            assert_eq!(io::Error::from(kind).classify(), Classification::Permanent, "{kind:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_elapsed_timeout_is_transient() {
        let elapsed = tokio::time::timeout(Duration::from_millis(1), std::future::pending::<()>()).await.unwrap_err();
        assert_eq!(elapsed.classify(), Classification::Transient);
        assert_eq!(Transient::classify(&&elapsed), Classification::Transient);
        let boxed = Box::new(elapsed);
        assert_eq!(boxed.classify(), Classification::Transient);
    }

    #[test]
    fn http_statuses_follow_the_documented_table() {
        let hint = Some(Duration::from_secs(3));
        for status in [408, 500, 502, 503, 504] {
            assert_eq!(Classification::from_http_status(status, None), Classification::Transient, "{status}");
        }
        assert_eq!(Classification::from_http_status(429, None), Classification::Throttled { retry_after: None });
        for status in [429, 503] {
            let throttled = Classification::Throttled { retry_after: hint };
            assert_eq!(Classification::from_http_status(status, hint), throttled, "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 409, 422, 501, 505, 0, 999] {
            assert_eq!(Classification::from_http_status(status, hint), Classification::Permanent, "{status}");
        }
    }

    #[test]
    fn shared_errors_classify_as_the_error_they_share() {
        let reset = std::sync::Arc::new(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(reset.classify(), Classification::Transient);
        let missing = std::rc::Rc::new(io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(missing.classify(), Classification::Permanent);
    }
}
