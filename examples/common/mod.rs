//! What the example programs share: command lines, routes, response
//! building and result reporting, none of it doing IO. The IO loops are
//! the library's drivers (`keepalive::blocking`, `keepalive::tokio`);
//! every framing and persistence decision stays in
//! [`keepalive::Connection`].

// Each example compiles this module on its own and uses only its half.
#![allow(dead_code)]

pub mod client;
pub mod server;

use std::str::FromStr;

/// A command line read like a real tool's: `--help` prints `usage` and
/// exits 0; a bad argument prints one line and exits 2.
pub struct Args {
    args: std::iter::Skip<std::env::Args>,
    usage: &'static str,
}

impl Args {
    pub fn new(usage: &'static str) -> Self {
        Self {
            args: std::env::args().skip(1),
            usage,
        }
    }

    /// The next argument; `--help` and `-h` are answered here.
    pub fn next(&mut self) -> Option<String> {
        let arg = self.args.next()?;
        if arg == "--help" || arg == "-h" {
            println!("{}", self.usage.trim());
            std::process::exit(0);
        }
        Some(arg)
    }

    /// The value of `flag`, parsed.
    pub fn value<T: FromStr>(&mut self, flag: &str) -> T {
        match self.args.next() {
            Some(v) => v
                .parse()
                .unwrap_or_else(|_| fail(&format!("invalid value {v:?} for {flag}"))),
            None => fail(&format!("{flag} needs a value")),
        }
    }

    /// A duration in (possibly fractional) seconds.
    pub fn secs(&mut self, flag: &str) -> std::time::Duration {
        let secs: f64 = self.value(flag);
        std::time::Duration::try_from_secs_f64(secs)
            .unwrap_or_else(|_| fail(&format!("invalid duration {secs} for {flag}")))
    }
}

/// Prints one line about a bad command line and exits 2.
pub fn fail(msg: &str) -> ! {
    let name = std::env::args().next().unwrap_or_default();
    let name = name.rsplit('/').next().unwrap_or("example");
    eprintln!("{name}: {msg} (see --help)");
    std::process::exit(2)
}

/// Prints one line about an error the program cannot go on after (the
/// address is taken, ...) and exits 1.
pub fn die(e: std::io::Error) -> ! {
    let name = std::env::args().next().unwrap_or_default();
    let name = name.rsplit('/').next().unwrap_or("example");
    eprintln!("{name}: {e}");
    std::process::exit(1)
}

/// Prints a line to stdout, ignoring a closed stdout (where `println!`
/// would panic).
pub fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}
