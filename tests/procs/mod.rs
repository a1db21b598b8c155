//! The example programs as child processes, for the tests that talk to
//! them over 127.0.0.1 (`peers.rs`, `faults.rs`): what is tested is exactly
//! what a user runs. `cargo test` already builds the examples; [`example`]
//! runs `cargo build --example …` once more (a no-op then) so that one test
//! file alone works too.

// Each test file uses its own part.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The peer binary `name`, or `None` (test skipped) when it is missing
/// outside CI.
pub fn peer(name: &str, package: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    // nginx lives in sbin, which an unprivileged PATH may lack.
    let extra = ["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from);
    let found = std::env::split_paths(&path)
        .chain(extra)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "peer `{name}` is missing and CI=true: install `{package}` (see .ci/run)"
        );
        eprintln!(
            "SKIPPED: peer `{name}` not found on PATH (install `{package}` to run this test)"
        );
    }
    found
}

#[allow(unused_macros)]
macro_rules! peer_or_skip {
    ($name:expr, $package:expr) => {
        match peer($name, $package) {
            Some(p) => p,
            None => return,
        }
    };
}

/// The example servers, both tested alike.
pub const SERVERS: [&str; 2] = ["std_server", "tokio_server"];

pub const EXAMPLES: [&str; 6] = [
    "explain",
    "std_server",
    "tokio_server",
    "std_client",
    "tokio_client",
    "proxy",
];

/// The built example binary `name`.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        // This test runs from <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
        let target_dir = profile_dir.parent().expect("target dir");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.arg("build")
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        for e in EXAMPLES {
            cmd.args(["--example", e]);
        }
        let status = cmd.status().expect("run cargo build --example");
        assert!(status.success(), "building the examples failed");
        profile_dir.join("examples")
    });
    // To run the same tests against another build of the examples (e.g.
    // an older commit's), point KEEPALIVE_EXAMPLES_DIR at its binaries.
    let dir = std::env::var_os("KEEPALIVE_EXAMPLES_DIR").map_or_else(|| dir.clone(), PathBuf::from);
    let bin = dir.join(name);
    assert!(bin.is_file(), "example binary {} missing", bin.display());
    bin
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn peer");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

// ---------------------------------------------------------------------
// An example server as a child process

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(name: &str, args: &[&str]) -> Self {
        Self::start_in_shell(name, args, "")
    }

    /// Starts the server through `sh -c 'PREFIX exec SERVER ARGS…'`, e.g.
    /// with `ulimit -n 64;` as the prefix: limits for the server alone.
    pub fn start_in_shell(name: &str, args: &[&str], prefix: &str) -> Self {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("{prefix} exec \"$0\" \"$@\""))
            .arg(example(name))
            .args(["--addr", "127.0.0.1:0"])
            .args(args);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn example server");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("server exited").expect("read stdout");
        let addr = first
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        let accepts = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepts);
        // Draining stdout also keeps the server from blocking on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.starts_with("accept ") {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self {
            child,
            addr,
            accepts,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// TCP connections accepted so far. The server logs an accept before it
    /// answers anything on that connection; the pause lets the log reader
    /// catch up.
    pub fn accepted(&self) -> usize {
        std::thread::sleep(Duration::from_millis(200));
        self.accepts.load(Ordering::SeqCst)
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `req=…` line of a client example, as key → value.
pub fn client_rows(stdout: &str) -> Vec<BTreeMap<String, String>> {
    stdout
        .lines()
        .filter(|l| l.starts_with("req="))
        .map(|l| {
            l.split(' ')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}
