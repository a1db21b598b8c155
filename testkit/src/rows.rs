//! Conformance tables: rows of (name, input, expected lines), each fed
//! whole and one byte at a time, every failing row reported at once.

use keepalive::Config;

use crate::feed::{client, feed_bytewise, feed_whole, server, Script};
use crate::out::esc;

/// A server-role row: (name, input, expected lines).
pub type ServerRow<'a> = (&'a str, &'a [u8], &'a [&'a str]);

/// A client-role row: (name, request methods, input, expected lines).
pub type ClientRow<'a> = (&'a str, &'a [&'a str], &'a [u8], &'a [&'a str]);

/// One conformance row's failure, for reporting all of a table at once.
fn check_row(
    name: &str,
    script: &Script,
    config: &Config,
    input: &[u8],
    expect: &[&str],
) -> Option<String> {
    let whole = feed_whole(script, config, input);
    let bytewise = feed_bytewise(script, config, input);
    if whole != bytewise {
        return Some(format!(
            "{name}: whole vs bytewise differ\n  input:    \"{}\"\n  whole:    {:?}\n  bytewise: {:?}",
            esc(input),
            whole.lines(),
            bytewise.lines()
        ));
    }
    let got = whole.lines();
    if got != expect {
        return Some(format!(
            "{name}:\n  input:  \"{}\"\n  expect: {expect:?}\n  got:    {got:?}",
            esc(input)
        ));
    }
    None
}

/// Runs server-role rows `(name, input, expected lines)`; panics listing
/// every failing row.
#[track_caller]
pub fn run_server_rows(config: &Config, rows: &[ServerRow<'_>]) {
    let script = server();
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, input, expect)| check_row(name, &script, config, input, expect))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Runs client-role rows `(name, request methods, input, expected lines)`.
#[track_caller]
pub fn run_client_rows(config: &Config, rows: &[ClientRow<'_>]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, methods, input, expect)| {
            check_row(name, &client(methods), config, input, expect)
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Runs server rows with a custom auto-response.
#[track_caller]
pub fn run_rows_with(script: &Script, config: &Config, rows: &[ServerRow<'_>]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, input, expect)| check_row(name, script, config, input, expect))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
