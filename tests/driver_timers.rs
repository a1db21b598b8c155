//! The server drivers keep their read timer from one read to the next
//! (re-arming it at each read cost a `setsockopt` or a timer-wheel
//! insertion per keep-alive request): a timer set earlier than the
//! machine's deadline may wake the driver early, one set later never
//! stays. These check, on both drivers, that an early wake-up closes
//! nothing, that the idle timer still fires, and that a deadline that
//! moves earlier (a head timer behind an idle one) is honoured at once.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use keepalive::{Config, Event, Header, Recv, Response};

/// A server's config with these timers, and no lingering: the client sees
/// the close as soon as the machine decides it.
fn config(idle: Duration, head: Duration) -> Config {
    let mut c = Config::default();
    c.idle_timeout = Some(idle);
    c.head_timeout = Some(head);
    c.linger_timeout = None;
    c
}

fn blocking_server(config: Config) -> SocketAddr {
    use keepalive::blocking::{self, Conn, Options};
    fn empty_200(mut conn: Conn) -> std::io::Result<()> {
        loop {
            match conn.next_event()? {
                Ok(Recv::Event(Event::Request(_))) => {
                    let length = [Header::new("Content-Length", "0")];
                    conn.send_response(&Response::new(200, &length))
                        .map_err(std::io::Error::other)?;
                    conn.send_end(&[]).map_err(std::io::Error::other)?;
                }
                Ok(Recv::Event(_)) => {}
                _ => return conn.close(),
            }
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || blocking::serve(&listener, config, Options::default(), empty_200));
    addr
}

fn tokio_server(config: Config) -> SocketAddr {
    use keepalive::tokio::{self as driver, Conn, Options};
    async fn empty_200(mut conn: Conn) -> std::io::Result<()> {
        loop {
            match conn.next_event().await? {
                Ok(Recv::Event(Event::Request(_))) => {
                    let length = [Header::new("Content-Length", "0")];
                    conn.send_response(&Response::new(200, &length))
                        .map_err(std::io::Error::other)?;
                    conn.send_end(&[]).map_err(std::io::Error::other)?;
                }
                Ok(Recv::Event(_)) => {}
                _ => return conn.close().await,
            }
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            driver::serve(listener, config, Options::default(), empty_200).await
        })
    });
    rx.recv().unwrap()
}

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const RESPONSE_END: &[u8] = b"\r\n\r\n";

/// Sends a request and reads its (bodiless) response; false if the
/// connection was closed instead.
fn exchange(sock: &mut TcpStream) -> bool {
    if sock.write_all(REQUEST).is_err() {
        return false;
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.ends_with(RESPONSE_END) {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got.starts_with(b"HTTP/1.1 200 ")
}

/// How long until the server closes the connection (bytes it sends first,
/// such as a 408, are skipped).
fn time_to_close(sock: &mut TcpStream) -> Duration {
    let start = Instant::now();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = [0u8; 512];
    while let Ok(1..) = sock.read(&mut buf) {}
    start.elapsed()
}

fn servers(config: Config) -> [(&'static str, SocketAddr); 2] {
    [
        ("blocking", blocking_server(config.clone())),
        ("tokio", tokio_server(config)),
    ]
}

#[test]
fn an_idle_deadline_that_moves_on_closes_nothing_early_and_still_fires() {
    let idle = Duration::from_millis(600);
    for (name, addr) in servers(config(idle, Duration::from_secs(60))) {
        let mut sock = TcpStream::connect(addr).unwrap();
        assert!(exchange(&mut sock), "{name}: first request");
        // Each request comes before the idle deadline of the one before,
        // but after the timer the driver set for that deadline would have
        // fired had it not been kept: the early wake-up must close nothing.
        for i in 0..3 {
            std::thread::sleep(idle * 2 / 3);
            assert!(exchange(&mut sock), "{name}: request {i} after a pause");
        }
        let closed_after = time_to_close(&mut sock);
        assert!(
            closed_after >= idle - Duration::from_millis(20),
            "{name}: closed {closed_after:?} after the last response, before the idle timeout"
        );
        assert!(
            closed_after < idle + Duration::from_secs(3),
            "{name}: the idle timer did not fire ({closed_after:?})"
        );
    }
}

#[test]
fn a_deadline_that_moves_earlier_is_honoured_at_once() {
    // A long idle timeout, then a head that starts and stalls: the head
    // timer's deadline is earlier than the timer the driver has set.
    let idle = Duration::from_secs(10);
    let head = Duration::from_millis(200);
    for (name, addr) in servers(config(idle, head)) {
        let mut sock = TcpStream::connect(addr).unwrap();
        assert!(exchange(&mut sock), "{name}: first request");
        sock.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        let closed_after = time_to_close(&mut sock);
        assert!(
            closed_after < head + Duration::from_secs(3),
            "{name}: the head timer fired only after {closed_after:?}"
        );
    }
}
