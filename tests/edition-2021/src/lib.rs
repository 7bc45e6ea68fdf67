//! `#[retry]` in an edition 2021 crate. An annotated `async fn` becomes a `fn` returning
//! `impl Future`, and which lifetimes such a future captures depends on the edition: under the
//! 2021 rules the functions below would not compile. They do because the macro crate is
//! edition 2024 and the `impl` it writes follows its own edition's rules, so the future
//! captures every argument's lifetime, elided ones included, as an `async fn`'s does.

#[cfg(test)]
mod tests {
    use std::fmt::{self, Formatter};
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

    use resilient::{retry, Transient};

    #[derive(Debug, PartialEq, Transient)]
    enum Error {
        #[transient]
        Unavailable,
        #[permanent]
        BadRequest,
    }

    struct Writer {
        calls: AtomicU32,
    }

    impl Writer {
        /// Three elided lifetimes, one of them in a path. (An `async fn` must write that one
        /// out: `Formatter` alone is refused, with or without `#[retry]`.)
        #[retry(max_attempts = 2, backoff = "immediate")]
        async fn write(&self, out: &mut Formatter<'_>, text: &str) -> Result<usize, Error> {
            if self.calls.fetch_add(1, SeqCst) == 0 {
                return Err(Error::Unavailable);
            }
            out.write_str(text).map_err(|_| Error::BadRequest)?;
            Ok(text.len())
        }
    }

    /// An elided lifetime in the output, tied to the only input lifetime.
    #[retry(max_attempts = 2, backoff = "immediate")]
    async fn first_word(text: &str) -> Result<&str, Error> {
        text.split_whitespace().next().ok_or(Error::BadRequest)
    }

    /// An elided lifetime inside an `Option`, re-borrowed for each attempt.
    #[retry(max_attempts = 2, backoff = "immediate")]
    async fn append(log: Option<&mut Vec<u32>>) -> Result<usize, Error> {
        let log = log.ok_or(Error::BadRequest)?;
        log.push(1);
        if log.len() < 2 {
            Err(Error::Unavailable)
        } else {
            Ok(log.len())
        }
    }

    struct Shown<'a>(&'a Writer);

    impl fmt::Display for Shown<'_> {
        fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
            block_on(self.0.write(f, "retried")).map(drop).map_err(|_| fmt::Error)
        }
    }

    /// Runs a future whose waits are all zero (the retries above are immediate).
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(future)
    }

    #[test]
    fn elided_lifetimes_are_captured_in_an_edition_2021_crate() {
        let writer = Writer { calls: AtomicU32::new(0) };
        assert_eq!(Shown(&writer).to_string(), "retried");
        assert_eq!(writer.calls.load(SeqCst), 2);
        assert_eq!(block_on(first_word("hello world")), Ok("hello"));
        assert_eq!(block_on(first_word(" ")), Err(Error::BadRequest));
        let mut log = Vec::new();
        assert_eq!(block_on(append(Some(&mut log))), Ok(2));
    }
}
