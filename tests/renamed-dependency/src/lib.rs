//! `resilient` depended on as `retrying`: no `resilient` crate is in scope, so each path the
//! macros write must start from `crate = "..."`. A path they wrote as `::resilient` would not
//! compile here.

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use std::time::Duration;

    use retrying::{Classification, Transient, retry};

    #[derive(Debug, PartialEq, Transient)]
    #[transient(crate = "retrying", default = permanent)]
    enum Error<E> {
        #[transient(throttled, retry_after = 0)]
        Throttled(Option<Duration>),
        #[transient(delegate)]
        Inner(E),
        #[transient(with = classify_code)]
        Code(u16),
        NotFound,
    }

    fn classify_code(code: &u16) -> Classification {
        if *code >= 500 { Classification::Transient } else { Classification::Permanent }
    }

    /// A struct: `crate` stands beside its classification.
    #[derive(Debug, PartialEq, Transient)]
    #[transient(crate = "retrying")]
    #[transient]
    struct Unavailable;

    #[retry(crate = "retrying", max_attempts = 2, backoff = "immediate")]
    fn flaky(calls: &AtomicU32) -> Result<u32, Error<Unavailable>> {
        match calls.fetch_add(1, SeqCst) {
            0 => Err(Error::Inner(Unavailable)),
            _ => Ok(7),
        }
    }

    #[test]
    fn the_derive_classifies_through_the_renamed_crate() {
        assert_eq!(Error::<Unavailable>::Throttled(None).classify(), Classification::Throttled { retry_after: None });
        assert_eq!(Error::Inner(Unavailable).classify(), Classification::Transient);
        assert_eq!(Error::<Unavailable>::Code(503).classify(), Classification::Transient);
        assert_eq!(Error::<Unavailable>::Code(404).classify(), Classification::Permanent);
        assert_eq!(Error::<Unavailable>::NotFound.classify(), Classification::Permanent);
    }

    #[test]
    fn retry_runs_through_the_renamed_crate() {
        let calls = AtomicU32::new(0);
        assert_eq!(flaky(&calls), Ok(7));
        assert_eq!(calls.load(SeqCst), 2);
    }
}
