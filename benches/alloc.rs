//! Allocations per message and heap per connection, counted by a global
//! allocator (counts, not timings). `tests/alloc_budget.rs` asserts the
//! budgets on the same drivers; this binary prints the numbers for
//! `BENCHMARKS.md`. Run with `cargo bench --bench alloc`.

use testkit::budget::{
    bytewise_allocs, client_memory, recv_allocs, send_allocs, server_memory, yardstick_allocs,
    AllocStats,
};
use testkit::corpora::{CORPORA, REQ_BROWSER, REQ_TINY};
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
        print_stats(
            &format!("recv/{}", corpus.name),
            role,
            recv_allocs(corpus, 10),
        );
    }
    for (name, reply, n) in [
        ("hello_13", Reply::Hello, 1000),
        ("body_1mib", Reply::OneMib, 200),
        ("chunked_4k", Reply::Chunked4k, 200),
    ] {
        let s = send_allocs(reply, n, 10);
        print_stats(&format!("send/{name}"), "server: recv req_tiny + send", s);
    }
    for corpus in [REQ_TINY, REQ_BROWSER] {
        let s = bytewise_allocs(&corpus, 100, 10);
        print_stats(
            &format!("bytewise/{}", corpus.name),
            "server: 1 byte per receive",
            s,
        );
    }
    for corpus in &CORPORA {
        let s = yardstick_allocs(corpus, 10);
        print_stats(
            &format!("yardstick/{}", corpus.name),
            "same loop, yardstick",
            s,
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

fn print_stats(name: &str, what: &str, s: AllocStats) {
    println!(
        "  {name:<22} {what:<28} all {:.5}  msg {:.5}  ({} allocs, {} msgs, {} idle)",
        s.per_message(),
        s.per_message_beyond_idle(),
        s.allocs,
        s.messages,
        s.idle_reads
    );
}
