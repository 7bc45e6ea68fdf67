fn main() {
    let client = resilient_benches::Client::default();
    let mut total = 0u64;
    for _ in 0..200_000_000u64 {
        total =
            total.wrapping_add(resilient_benches::ready(client.inline(std::hint::black_box("message-id"))).unwrap());
    }
    println!("{total}");
}
