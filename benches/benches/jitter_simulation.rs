//! The contention simulation of the AWS "Exponential Backoff and Jitter" study, driven by
//! resilient's own backoff code (`resilient::Delays`).
//!
//! The study's model: N clients each make one optimistic-concurrency update of one row, all
//! starting together. An attempt is four messages over the network: the client asks for the
//! row's version, the resource answers, the client sends a conditional write carrying the
//! version it read, the resource answers. The resource handles messages one at a time, in order
//! of arrival, and refuses a write whose version is stale (someone else wrote since its read). A
//! refused client waits its policy's delay and starts a new attempt. Every message takes
//! `|Normal(hop, hop / 5)|`, as in the study (10 ± 2 units), which is what spreads clients that
//! start together even without backoff.
//!
//! Discrete events in continuous time (nanoseconds); each figure is the mean of `RUNS` runs with
//! fixed seeds, so every run of the benchmark prints the same figures. tokio's paused clock is
//! not used: it rounds every sleep up to a whole millisecond, which would synchronise clients
//! that jitter means to spread.
//!
//! Prints the tables of BENCHMARKS.md section 5 and writes the plot to
//! `benches/results/jitter.svg`.
//!
//! `cargo bench -p resilient-benches --bench jitter_simulation`

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use plotters::prelude::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Normal};
use resilient::{Backoff, Delays, Jitter, Policy};

/// The mean time one message takes over the network. The study's messages take 10 ± 2 units and
/// its first backoff is at most 10 units (`random(0, 2 * base)` with `base = 5`); this is the
/// same network with the default policy's first delay (at most 100 ms) in place of the study's.
const HOP: Duration = Duration::from_millis(100);
/// Runs per figure, as in the study.
const RUNS: u64 = 100;
const SEED: u64 = 2015;
const CLIENTS: [usize; 8] = [10, 25, 50, 75, 100, 125, 150, 200];

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A retry strategy: a name, and the policy whose delays it uses (`None`: retry at once).
struct Strategy {
    name: &'static str,
    policy: Option<Policy>,
}

/// The strategies compared, each exponential from `initial_delay` up to `max_delay` (doubling,
/// as the study's), with no limit on attempts: every client keeps going until it has written.
fn strategies(initial_delay: Duration, max_delay: Duration) -> Vec<Strategy> {
    let policy = |backoff, jitter| {
        let builder = Policy::builder().max_attempts(u32::MAX).initial_delay(initial_delay).max_delay(max_delay);
        Some(builder.backoff(backoff).jitter(jitter).build().expect("a valid simulation policy"))
    };
    vec![
        Strategy { name: "no backoff", policy: None },
        Strategy { name: "exponential, no jitter", policy: policy(Backoff::Exponential, Jitter::None) },
        Strategy { name: "full jitter", policy: policy(Backoff::Exponential, Jitter::Full) },
        Strategy { name: "equal jitter", policy: policy(Backoff::Exponential, Jitter::Equal) },
        Strategy { name: "decorrelated jitter", policy: policy(Backoff::Decorrelated, Jitter::Full) },
    ]
}

/// Index of full jitter in `strategies()`: with the default delays, the default policy.
const FULL_JITTER: usize = 2;

/// The mean outcome of `RUNS` simulations.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// Writes the resource received, applied or refused.
    calls: f64,
    /// Until the last client learnt that its write was applied, in seconds.
    completion: f64,
}

impl Outcome {
    /// This outcome as multiples of `baseline`'s calls and time.
    fn ratios(self, baseline: Outcome) -> (f64, f64) {
        (self.calls / baseline.calls, self.completion / baseline.completion)
    }
}

/// The network: each message takes `|Normal(hop, hop / 5)|`, the study's distribution.
struct Network {
    delay: Normal<f64>,
    rng: SmallRng,
}

impl Network {
    fn new(hop: Duration, seed: u64) -> Self {
        let mean = hop.as_nanos() as f64;
        let delay = Normal::new(mean, mean / 5.0).expect("a finite mean and spread");
        Network { delay, rng: SmallRng::seed_from_u64(seed) }
    }

    /// How long the next message takes, in nanoseconds.
    fn hop(&mut self) -> u64 {
        self.delay.sample(&mut self.rng).abs() as u64
    }
}

/// A message, delivered to the resource or to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Message {
    /// A client asks the resource for the row's version.
    Read,
    /// The resource answers a read with the version.
    Version(u64),
    /// A client's conditional write, carrying the version it read.
    Write(u64),
    /// The resource answers a write: applied or refused.
    Written(bool),
}

/// The seed of one random stream of run `run`: the network's (`stream` 0) or a client's.
fn seed(run: u64, stream: usize) -> u64 {
    SEED ^ (run << 32) ^ stream as u64
}

fn simulate_once(strategy: &Strategy, clients: usize, hop: Duration, run: u64) -> (u64, u64) {
    let mut network = Network::new(hop, seed(run, 0));
    let mut delays: Vec<Option<Delays<'_>>> = (0..clients)
        .map(|client| strategy.policy.as_ref().map(|policy| Delays::new(policy, seed(run, client + 1))))
        .collect();
    // (arrival time, sequence number, client, message): earliest first, and in order of sending
    // at equal times.
    let mut messages = BinaryHeap::new();
    let mut sent = 0u64;
    let mut send = |messages: &mut BinaryHeap<_>, at: u64, client: usize, message: Message| {
        sent += 1;
        messages.push(Reverse((at, sent, client, message)));
    };
    for client in 0..clients {
        send(&mut messages, network.hop(), client, Message::Read);
    }
    let (mut version, mut calls, mut done, mut now) = (0u64, 0u64, 0, 0u64);
    while let Some(Reverse((at, _, client, message))) = messages.pop() {
        now = at;
        match message {
            Message::Read => send(&mut messages, now + network.hop(), client, Message::Version(version)),
            Message::Version(read) => send(&mut messages, now + network.hop(), client, Message::Write(read)),
            Message::Write(read) => {
                calls += 1;
                let applied = read == version;
                version += u64::from(applied);
                send(&mut messages, now + network.hop(), client, Message::Written(applied));
            }
            Message::Written(true) => done += 1,
            Message::Written(false) => {
                // Refused: someone wrote since this client's read. Wait, then start again.
                let wait = delays[client].as_mut().map_or(0, |d| d.next().expect("endless").as_nanos() as u64);
                send(&mut messages, now + wait + network.hop(), client, Message::Read);
            }
        }
    }
    assert_eq!(done, clients, "every client writes once");
    (calls, now)
}

/// The mean of `RUNS` runs, each with its own seeds.
fn simulate(strategy: &Strategy, clients: usize, hop: Duration) -> Outcome {
    let (mut calls, mut nanos) = (0u64, 0u64);
    for run in 0..RUNS {
        let (c, n) = simulate_once(strategy, clients, hop, run);
        calls += c;
        nanos += n;
    }
    Outcome { calls: calls as f64 / RUNS as f64, completion: nanos as f64 / RUNS as f64 / 1e9 }
}

fn main() {
    let defaults = strategies(Policy::DEFAULT.initial_delay(), Policy::DEFAULT.max_delay());
    assert_eq!(defaults[FULL_JITTER].policy.as_ref().map(|p| (p.backoff(), p.jitter(), p.multiplier())), {
        let d = Policy::DEFAULT;
        Some((d.backoff(), d.jitter(), d.multiplier()))
    });
    let results: Vec<Vec<Outcome>> =
        defaults.iter().map(|strategy| CLIENTS.iter().map(|&n| simulate(strategy, n, HOP)).collect()).collect();

    println!("The default policy's delays, a message taking {HOP:?} on average; mean of {RUNS} runs.\n");
    println!("| strategy | {} |", CLIENTS.map(|n| format!("N = {n}")).join(" | "));
    println!("| --- |{}", " --- |".repeat(CLIENTS.len()));
    for (strategy, outcomes) in defaults.iter().zip(&results) {
        let cells: Vec<String> =
            outcomes.iter().map(|o| format!("{:.0} calls, {:.1} s", o.calls, o.completion)).collect();
        println!("| {} | {} |", strategy.name, cells.join(" | "));
    }
    let at_100 = CLIENTS.iter().position(|&n| n == 100).expect("N = 100 is simulated");
    let (calls, time) = results[FULL_JITTER][at_100].ratios(results[0][at_100]);
    println!(
        "\nAt N = 100 the default policy makes {calls:.2}x the calls of no backoff, and takes {time:.2}x its time."
    );

    println!("\nThe study's own parameters (base 5 ms, cap 2 s, a message 10 ± 2 ms), N = 100, against no backoff:\n");
    println!("| strategy | calls | time to completion |");
    println!("| --- | --- | --- |");
    let study = strategies(ms(10), ms(2000));
    let baseline = simulate(&study[0], 100, ms(10));
    for strategy in &study[1..] {
        let (calls, time) = simulate(strategy, 100, ms(10)).ratios(baseline);
        println!("| {} | {calls:.2}x | {time:.2}x |", strategy.name);
    }

    println!("\nThe default policy against no backoff, N = 100, by the network's speed:\n");
    println!("| a message takes | calls | time to completion |");
    println!("| --- | --- | --- |");
    for hop in [5, 10, 25, 50, 100, 200].map(ms) {
        let (calls, time) = simulate(&defaults[FULL_JITTER], 100, hop).ratios(simulate(&defaults[0], 100, hop));
        println!("| {hop:?} | {calls:.2}x | {time:.2}x |");
    }
    plot(&defaults, &results).expect("write benches/results/jitter.svg");
}
fn plot(strategies: &[Strategy], results: &[Vec<Outcome>]) -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/jitter.svg");
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/results"))?;
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(500);
    let colors = [RED, BLACK, BLUE, GREEN, MAGENTA];
    let max_calls = results.iter().flatten().map(|o| o.calls).fold(1.0, f64::max);
    let max_time = results.iter().flatten().map(|o| o.completion).fold(0.0, f64::max);
    for (area, title, max, value) in [
        (&left, "total calls", max_calls, &(|o: &Outcome| o.calls) as &dyn Fn(&Outcome) -> f64),
        (&right, "time to completion (s)", max_time, &|o: &Outcome| o.completion),
    ] {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..210f64, (1.0f64..max * 1.5).log_scale())?;
        chart.configure_mesh().x_desc("clients (N)").draw()?;
        for ((strategy, outcomes), color) in strategies.iter().zip(results).zip(colors) {
            let points = CLIENTS.iter().zip(outcomes).map(|(&n, o)| (n as f64, value(o).max(1.0)));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(strategy.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], color.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    }
    root.present()?;
    Ok(())
}
