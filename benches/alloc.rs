//! Allocations per message and heap per connection, counted by a global
//! allocator (counts, not timings). `tests/alloc_budget.rs` asserts the
//! budgets on the same drivers; this binary prints the numbers for
//! `BENCHMARKS.md`. Run with `cargo bench --bench alloc`.

use testkit::budget::{client_memory, recv_allocs, send_allocs, server_memory};
use testkit::corpora::CORPORA;
use testkit::counting::Counting;
use testkit::drive::Reply;

#[global_allocator]
static ALLOC: Counting = Counting;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    println!("allocations per message, steady state (after 3 warm-up streams):");
    println!("  all = every allocation / messages; msg = beyond 4 per idle period (receive buffer re-made)");
    for corpus in &CORPORA {
        let role = match corpus.role {
            keepalive::Role::Server => "server: receive + 204 reply",
            keepalive::Role::Client => "client: send GET + receive",
        };
        let s = recv_allocs(corpus, 10);
        println!(
            "  recv/{:<14} {:<28} all {:.5}  msg {:.5}  ({} allocs, {} msgs, {} idle)",
            corpus.name,
            role,
            s.per_message(),
            s.per_message_beyond_idle(),
            s.allocs,
            s.messages,
            s.idle_reads
        );
    }
    for (name, reply, n) in [
        ("hello_13", Reply::Hello, 1000),
        ("body_1mib", Reply::OneMib, 200),
        ("chunked_4k", Reply::Chunked4k, 200),
    ] {
        let s = send_allocs(reply, n, 10);
        println!(
            "  send/{name:<14} {:<28} all {:.5}  msg {:.5}  ({} allocs, {} msgs, {} idle)",
            "server: recv req_tiny + send",
            s.per_message(),
            s.per_message_beyond_idle(),
            s.allocs,
            s.messages,
            s.idle_reads
        );
    }
    let server = server_memory();
    let client = client_memory();
    println!("heap per connection, bytes (boxed Connection included)");
    println!(
        "  server idle after 3 exchanges:        {:>6}  (+ drained SendBuf: {})",
        server.idle, server.idle_with_sendbuf
    );
    println!(
        "  server peak, 16 KiB head in 1 KiB reads: {:>6}",
        server.peak_16k_head
    );
    println!(
        "  client idle after 3 exchanges:        {:>6}  (+ drained SendBuf: {})",
        client.idle, client.idle_with_sendbuf
    );
    println!(
        "  size_of::<Connection>() = {}",
        std::mem::size_of::<keepalive::Connection>()
    );
}
