//! The contention simulation of the AWS "Exponential Backoff and Jitter" study, driven by
//! resilient's own backoff code (`resilient::Delays`).
//!
//! N clients each make one optimistic-concurrency write to one resource, all starting together.
//! An attempt reads the resource's version, and its conditional write reaches the resource
//! `LATENCY` later; the resource applies writes one at a time, in order of arrival, and refuses
//! a write whose version is stale (someone else wrote since its read). A refused client waits
//! its policy's delay and tries again. Discrete events in continuous time (nanoseconds), one
//! fixed seed: the same figures on every run. tokio's paused clock is not used: it rounds every
//! sleep up to a whole millisecond, which would synchronise clients that jitter means to spread.
//!
//! Prints a table (total calls and time to completion for each strategy and N) and writes the
//! plot to `benches/results/jitter.svg`.
//!
//! `cargo bench -p resilient-benches --bench jitter_simulation`

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use plotters::prelude::*;
use resilient::{Backoff, Delays, Jitter, Policy};

/// Time from an attempt's read to its write reaching the resource: one round trip, as long as
/// the default policy's first delay.
const LATENCY: Duration = Duration::from_millis(100);
const SEED: u64 = 2015;
const CLIENTS: [usize; 8] = [10, 25, 50, 75, 100, 125, 150, 200];

/// A retry strategy: a name, and the policy whose delays it uses (`None`: retry at once).
struct Strategy {
    name: &'static str,
    policy: Option<Policy>,
}

fn strategies() -> Vec<Strategy> {
    let exponential = |jitter| Policy::builder().max_attempts(u32::MAX).jitter(jitter).build().unwrap();
    vec![
        Strategy { name: "no backoff", policy: None },
        Strategy { name: "exponential, no jitter", policy: Some(exponential(Jitter::None)) },
        Strategy { name: "full jitter (the default policy)", policy: Some(Policy::DEFAULT) },
        Strategy { name: "equal jitter", policy: Some(exponential(Jitter::Equal)) },
        Strategy {
            name: "decorrelated jitter",
            policy: Some(Policy::builder().max_attempts(u32::MAX).backoff(Backoff::Decorrelated).build().unwrap()),
        },
    ]
}

/// The outcome of one simulation.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    calls: u64,
    completion: Duration,
}

/// What happens at an instant: a write reaches the resource, or a client reads the version.
/// At equal times writes come first, so a read sees a write that arrives at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Write { version_read: u64 },
    Read,
}

fn simulate(strategy: &Strategy, clients: usize, latency: Duration) -> Outcome {
    let latency = latency.as_nanos() as u64;
    let mut delays: Vec<Option<Delays<'_>>> = (0..clients)
        .map(|client| strategy.policy.as_ref().map(|policy| Delays::new(policy, SEED ^ ((client as u64) << 20))))
        .collect();
    // (time, event, client), earliest first; ties by event, then by client index.
    let mut events = BinaryHeap::new();
    for client in 0..clients {
        events.push(Reverse((0u64, Event::Read, client)));
    }
    let (mut version, mut calls, mut done, mut last) = (0u64, 0u64, 0, 0u64);
    while let Some(Reverse((now, event, client))) = events.pop() {
        match event {
            Event::Read => {
                calls += 1;
                events.push(Reverse((now + latency, Event::Write { version_read: version }, client)));
            }
            Event::Write { version_read } if version_read == version => {
                version += 1;
                done += 1;
                last = now;
            }
            Event::Write { .. } => {
                // Refused: someone wrote since this client's read. Wait, then read again.
                let wait = delays[client].as_mut().map_or(0, |d| d.next().unwrap().as_nanos() as u64);
                events.push(Reverse((now + wait, Event::Read, client)));
            }
        }
    }
    assert_eq!(done, clients);
    Outcome { calls, completion: Duration::from_nanos(last) }
}

fn main() {
    let strategies = strategies();
    let results: Vec<Vec<Outcome>> =
        strategies.iter().map(|strategy| CLIENTS.iter().map(|&n| simulate(strategy, n, LATENCY)).collect()).collect();

    println!("| strategy | {} |", CLIENTS.map(|n| format!("N = {n}")).join(" | "));
    println!("| --- |{}", " --- |".repeat(CLIENTS.len()));
    for (strategy, outcomes) in strategies.iter().zip(&results) {
        let cells: Vec<String> =
            outcomes.iter().map(|o| format!("{} calls, {:.2} s", o.calls, o.completion.as_secs_f64())).collect();
        println!("| {} | {} |", strategy.name, cells.join(" | "));
    }
    let at_100 = CLIENTS.iter().position(|&n| n == 100).unwrap();
    let (baseline, default) = (results[0][at_100], results[2][at_100]);
    println!(
        "\nAt N = 100 the default policy makes {:.2}x the calls of no backoff, and takes {:.2}x its time to completion.",
        default.calls as f64 / baseline.calls as f64,
        default.completion.as_secs_f64() / baseline.completion.as_secs_f64()
    );
    println!("\nAt N = 100, by round-trip latency (the default policy against no backoff):\n");
    println!("| latency | calls | time to completion |");
    println!("| --- | --- | --- |");
    for latency in [10, 25, 50, 100, 200, 400].map(Duration::from_millis) {
        let (baseline, default) = (simulate(&strategies[0], 100, latency), simulate(&strategies[2], 100, latency));
        println!(
            "| {latency:?} | {:.2}x | {:.2}x |",
            default.calls as f64 / baseline.calls as f64,
            default.completion.as_secs_f64() / baseline.completion.as_secs_f64()
        );
    }
    plot(&strategies, &results).expect("write benches/results/jitter.svg");
}

fn plot(strategies: &[Strategy], results: &[Vec<Outcome>]) -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/jitter.svg");
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/results"))?;
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(500);
    let colors = [RED, BLACK, BLUE, GREEN, MAGENTA];
    let max_calls = results.iter().flatten().map(|o| o.calls).max().unwrap_or(1) as f64;
    let max_time = results.iter().flatten().map(|o| o.completion.as_secs_f64()).fold(0.0, f64::max);
    for (area, title, max, value) in [
        (&left, "total calls", max_calls, &(|o: &Outcome| o.calls as f64) as &dyn Fn(&Outcome) -> f64),
        (&right, "time to completion (s)", max_time, &|o: &Outcome| o.completion.as_secs_f64()),
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
