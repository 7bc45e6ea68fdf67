//! A breaker or a budget in `[defaults]` gives every name that falls back to the defaults one
//! of its own, as an empty `[policies.NAME]` would: one failing service does not open the
//! breaker of the others. A name may turn it off (`circuit_breaker = false`).

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use resilient::{BreakerState, Registry, Rejected, retry};

mod common;
use common::Error;

/// Its service is down. `mail` has no table of its own.
#[retry(policy = "mail")]
fn send_mail(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Err(Error::Unavailable)
}

/// Its service is up. `#[retry]` names the policy `default`, which has no table either.
#[retry]
fn fetch(calls: &AtomicU32) -> Result<(), Error> {
    calls.fetch_add(1, SeqCst);
    Ok(())
}

#[test]
fn names_without_a_policy_have_a_breaker_each() {
    let config = "[defaults]\nmax_attempts = 1\n[defaults.circuit_breaker]\nminimum_throughput = 2\n";
    resilient::install(Registry::from_toml_str(config).unwrap());

    let mail = AtomicU32::new(0);
    for _ in 0..2 {
        assert_eq!(send_mail(&mail), Err(Error::Unavailable));
    }
    let refused = send_mail(&mail);
    assert!(matches!(refused, Err(Error::Rejected(Rejected::CircuitOpen { policy: "mail", .. }))), "{refused:?}");
    assert_eq!(mail.load(SeqCst), 2, "mail's breaker is open");

    let fetched = AtomicU32::new(0);
    for _ in 0..3 {
        assert_eq!(fetch(&fetched), Ok(()), "the default policy's breaker is its own, and closed");
    }
    assert_eq!(fetched.load(SeqCst), 3);

    let stats = Registry::default().stats();
    assert_eq!(stats.breaker("mail").map(|b| b.state), Some(BreakerState::Open));
    assert_eq!(stats.breaker("default").map(|b| b.state), Some(BreakerState::Closed));
    assert!(stats.breaker("[defaults]").is_none(), "{:?}", stats.breakers);

    // A new registry keeps each name's breaker, as it does a named policy's.
    let changed = config.replace("[defaults]\n", "[defaults]\ninitial_delay = \"50ms\"\n");
    resilient::install(Registry::from_toml_str(&changed).unwrap());
    assert!(matches!(send_mail(&mail), Err(Error::Rejected(Rejected::CircuitOpen { .. }))));
    assert_eq!(mail.load(SeqCst), 2);

    // A name that turns the defaults' breaker off has none: every call reaches its service.
    let without = format!("{config}[policies.mail]\ncircuit_breaker = false\n");
    resilient::install(Registry::from_toml_str(&without).unwrap());
    for _ in 0..3 {
        assert_eq!(send_mail(&mail), Err(Error::Unavailable));
    }
    assert_eq!(mail.load(SeqCst), 5);
    assert_eq!(fetch(&fetched), Ok(()), "the others keep theirs");
    assert!(resilient::installed().circuit_breaker("default").is_some());
}
