//! Tables, one row per RFC sentence: a received head, what is forwarded.
//! Every forwarded head is sent through a real [`Connection`], so each row
//! also proves the next hop's machine accepts it.

use bytes::{Buf, Bytes};

use super::*;
use crate::{Config, Connection, Event, Recv, Role, SendBuf};

fn received_request(raw: &str) -> RequestHead {
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(raw.as_bytes());
    match conn.poll_event() {
        Ok(Recv::Event(Event::Request(head))) => head,
        other => panic!("{raw:?}: {other:?}"),
    }
}

/// The response head received for a request with `method` (which decides
/// a HEAD response's framing).
fn received_response(method: &str, raw: &str) -> ResponseHead {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    let host = [Header::new("Host", "h")];
    conn.send_request(&Request::new(method, "/", &host), &mut out)
        .unwrap();
    conn.send_end(&[], &mut out).unwrap();
    conn.receive(raw.as_bytes());
    match conn.poll_event() {
        Ok(Recv::Event(Event::Response(head) | Event::Informational(head))) => head,
        other => panic!("{raw:?}: {other:?}"),
    }
}

fn text(out: &mut SendBuf) -> String {
    let bytes: Bytes = out.copy_to_bytes(out.remaining());
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The bytes a client machine sends for the forwarded request.
fn sent_request(fwd: &ForwardedRequest<'_>) -> String {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    conn.send_request(&fwd.head(), &mut out).unwrap();
    text(&mut out)
}

/// The bytes a server machine sends for the forwarded response, after
/// receiving `request`.
fn sent_response(request: &str, fwd: &ForwardedResponse<'_>) -> String {
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(request.as_bytes());
    while let Ok(Recv::Event(_)) = conn.poll_event() {}
    let mut out = SendBuf::new();
    conn.send_response(&fwd.head(), &mut out).unwrap();
    text(&mut out)
}

fn proxy() -> Proxy {
    Proxy::new("p").unwrap()
}

#[test]
fn requests_lose_hop_by_hop_fields_and_gain_via() {
    let rows: [(&str, &str, &str); 10] = [
        (
            "§7.6.1: remove the fields named as connection options, then Connection itself",
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Secret, keep-alive\r\nx-secret: 1\r\nX-Kept: 2\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Kept: 2\r\nVia: 1.1 p\r\n\r\n",
        ),
        (
            "§7.6.1: Connection options across several lines form one list",
            "GET / HTTP/1.1\r\nConnection: a\r\nHost: h\r\nConnection: B\r\nA: 1\r\nb: 2\r\nC: 3\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nC: 3\r\nVia: 1.1 p\r\n\r\n",
        ),
        (
            "§7.6.1: Proxy-Connection, Keep-Alive, TE and Upgrade are removed even when not listed",
            "GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nVia: 1.1 p\r\n\r\n",
        ),
        (
            "§11.7.2: Proxy-Authorization is consumed by the first inbound proxy",
            "GET / HTTP/1.1\r\nHost: a\r\nProxy-Authorization: Basic eA==\r\nAuthorization: Basic eQ==\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic eQ==\r\nVia: 1.1 p\r\n\r\n",
        ),
        (
            "§7.6.3: each intermediary appends its own information after earlier Via entries",
            "GET / HTTP/1.1\r\nVia: 1.0 fred\r\nHost: a\r\nvia: 1.1 nowhere.com (Apache/1.1)\r\n\r\n",
            "GET / HTTP/1.1\r\nVia: 1.0 fred\r\nHost: a\r\nvia: 1.1 nowhere.com (Apache/1.1)\r\nVia: 1.1 p\r\n\r\n",
        ),
        (
            "§7.6.3: received-protocol is the version the message was received with",
            "GET / HTTP/1.0\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nVia: 1.0 p\r\n\r\n",
        ),
        (
            "RFC 9112 §6.3 rule 3: an intermediary MUST remove Content-Length sent with Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nVia: 1.1 p\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            "§8.6: a repeated identical Content-Length is one length; one element is sent",
            "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n",
            "PUT / HTTP/1.1\r\nHost: a\r\nVia: 1.1 p\r\nContent-Length: 5\r\n\r\n",
        ),
        (
            "§10.1.1: Expect is end-to-end; the proxy relays the 100 it brings",
            "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n",
            "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nVia: 1.1 p\r\nContent-Length: 9\r\n\r\n",
        ),
        (
            "§10.1.1: a server MUST ignore 100-continue in an HTTP/1.0 request; it is not revived",
            "PUT / HTTP/1.0\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n",
            "PUT / HTTP/1.1\r\nHost: a\r\nVia: 1.0 p\r\nContent-Length: 9\r\n\r\n",
        ),
    ];
    let p = proxy();
    for (rule, received, forwarded) in rows {
        let head = received_request(received);
        let fwd = p.forward_request(&head, Version::Http11).unwrap();
        assert_eq!(sent_request(&fwd), forwarded, "{rule}");
    }
}

#[test]
fn request_framing_follows_the_upstream_version() {
    let p = proxy();
    let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    let length = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n";
    let rows: [(&str, &str, Version, Result<BodyLength, ForwardError>); 4] = [
        (
            "chunked stays chunked toward 1.1",
            chunked,
            Version::Http11,
            Ok(BodyLength::Chunked),
        ),
        (
            "RFC 9112 §6.1: chunked cannot go to a 1.0 recipient; a server MAY answer 411",
            chunked,
            Version::Http10,
            Err(ForwardError::LengthRequired),
        ),
        (
            "a known length stays a length toward 1.1",
            length,
            Version::Http11,
            Ok(BodyLength::Fixed(2)),
        ),
        (
            "a known length stays a length toward 1.0",
            length,
            Version::Http10,
            Ok(BodyLength::Fixed(2)),
        ),
    ];
    for (rule, received, upstream, expected) in rows {
        let head = received_request(received);
        let got = p.forward_request(&head, upstream).map(|f| f.body());
        assert_eq!(got, expected, "{rule}");
    }
    assert_eq!(ForwardError::LengthRequired.status(), 411);
}

#[test]
fn host_is_required_toward_http11() {
    // RFC 9112 §3.2: "A client MUST send a Host header field in all
    // HTTP/1.1 request messages."
    let head = received_request("GET / HTTP/1.0\r\n\r\n");
    assert_eq!(
        proxy().forward_request(&head, Version::Http11).err(),
        Some(ForwardError::NoHost)
    );
    let p = proxy().default_host("origin:8080").unwrap();
    let fwd = p.forward_request(&head, Version::Http11).unwrap();
    assert_eq!(
        sent_request(&fwd),
        "GET / HTTP/1.1\r\nHost: origin:8080\r\nVia: 1.0 p\r\n\r\n"
    );
    // §7.6.1 removes a field named in Connection, Host too; the
    // default then takes its place.
    let head = received_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: host\r\n\r\n");
    assert_eq!(
        proxy().forward_request(&head, Version::Http11).err(),
        Some(ForwardError::NoHost)
    );
    // An HTTP/1.0 upstream does not need it.
    let head = received_request("GET / HTTP/1.0\r\n\r\n");
    assert!(proxy().forward_request(&head, Version::Http10).is_ok());
}

#[test]
fn proxy_authorization_relayed_only_when_asked() {
    let head =
        received_request("GET / HTTP/1.1\r\nHost: a\r\nProxy-Authorization: Basic eA==\r\n\r\n");
    let p = proxy().relay_proxy_auth(true);
    let fwd = p.forward_request(&head, Version::Http11).unwrap();
    assert!(sent_request(&fwd).contains("\r\nProxy-Authorization: Basic eA==\r\n"));
    let p = proxy();
    let fwd = p.forward_request(&head, Version::Http11).unwrap();
    assert!(!sent_request(&fwd).contains("Proxy-Authorization"));
}

#[test]
fn response_framing_follows_the_client_version() {
    const GET11: &str = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const GET10: &str = "GET / HTTP/1.0\r\n\r\n";
    const HEAD11: &str = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
    // (rule, request method and line sent by the client, response from
    // upstream, what the client receives)
    let rows: [(&str, &str, &str, &str, &str); 9] = [
        (
            "a known length stays a length",
            "GET",
            GET11,
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\nVia: 1.1 p\r\nContent-Length: 2\r\n\r\n",
        ),
        (
            "chunked stays chunked toward 1.1",
            "GET",
            GET11,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nVia: 1.1 p\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            "chunked ends at close toward 1.0 (RFC 9112 §6.1: no chunked to a 1.0 recipient)",
            "GET",
            GET10,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nVia: 1.1 p\r\nConnection: close\r\n\r\n",
        ),
        (
            "a body ending at close becomes chunked toward 1.1",
            "GET",
            GET11,
            "HTTP/1.0 200 OK\r\nServer: old\r\n\r\n",
            "HTTP/1.1 200 OK\r\nServer: old\r\nVia: 1.0 p\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            "a body ending at close still ends at close toward 1.0",
            "GET",
            GET10,
            "HTTP/1.0 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nVia: 1.0 p\r\nConnection: close\r\n\r\n",
        ),
        (
            "RFC 9110 §8.6: a HEAD response may carry the length a GET would have",
            "HEAD",
            HEAD11,
            "HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n",
            "HTTP/1.1 200 OK\r\nVia: 1.1 p\r\nContent-Length: 4000\r\n\r\n",
        ),
        (
            "RFC 9110 §8.6: a 204 MUST NOT carry Content-Length",
            "GET",
            GET11,
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 204 No Content\r\nVia: 1.1 p\r\n\r\n",
        ),
        (
            "§7.6.1 in responses: Keep-Alive and named options are removed",
            "GET",
            GET11,
            "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nVia: 1.1 p\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "§11.7.1: Proxy-Authenticate applies only to the next outbound client",
            "GET",
            GET11,
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 407 Proxy Authentication Required\r\nVia: 1.1 p\r\nContent-Length: 0\r\n\r\n",
        ),
    ];
    let p = proxy();
    for (rule, method, request, received, sent) in rows {
        let head = received_response(method, received);
        let client = if request.contains("HTTP/1.0") {
            Version::Http10
        } else {
            Version::Http11
        };
        let fwd = p.forward_response(&head, client).unwrap().unwrap();
        assert_eq!(sent_response(request, &fwd), sent, "{rule}");
    }
}

#[test]
fn interim_responses_are_relayed_to_http11_clients_only() {
    // RFC 9110 §15.2: "A proxy MUST forward 1xx responses unless the proxy
    // itself requested the generation of the 1xx response" and "A server
    // MUST NOT send a 1xx response to an HTTP/1.0 client".
    let p = proxy();
    let head = received_response("PUT", "HTTP/1.1 100 Continue\r\n\r\n");
    let fwd = p.forward_response(&head, Version::Http11).unwrap().unwrap();
    let request = "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n";
    assert_eq!(
        sent_response(request, &fwd),
        "HTTP/1.1 100 Continue\r\nVia: 1.1 p\r\n\r\n"
    );
    assert!(p
        .forward_response(&head, Version::Http10)
        .unwrap()
        .is_none());
}

#[test]
fn response_codings_that_cannot_be_passed_on_are_502() {
    let p = proxy();
    // RFC 9112 §6.3 rule 4: a final coding other than chunked is read
    // until close. Toward 1.1 it would need "gzip, chunked" built anew;
    // toward 1.0 no coding may be sent (RFC 9112 §6.1).
    let head = received_response("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    for client in [Version::Http10, Version::Http11] {
        let err = p.forward_response(&head, client).unwrap_err();
        assert_eq!(err.status(), 502);
    }
}

#[test]
fn trailers_pass_through_chunked_minus_hop_by_hop() {
    let p = proxy();
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(
        b"POST / HTTP/1.1\r\nHost: a\r\nConnection: X-Hop\r\nTransfer-Encoding: chunked\r\n\r\n\
          0\r\nX-Checksum: 1\r\nX-Hop: 2\r\n\r\n",
    );
    let Ok(Recv::Event(Event::Request(head))) = conn.poll_event() else {
        panic!()
    };
    let Ok(Recv::Event(Event::End(trailers))) = conn.poll_event() else {
        panic!()
    };
    let kept = p.forward_trailers(head.headers(), &trailers, BodyLength::Chunked);
    assert_eq!(kept, [Header::new("X-Checksum", "1")]);
    // Nowhere to put them in a body with a length or ending at close.
    assert!(p
        .forward_trailers(head.headers(), &trailers, BodyLength::UntilClose)
        .is_empty());
}

#[test]
fn hop_by_hop_helpers() {
    let head = received_request(
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: x-a\r\nX-A: 1\r\nTE: trailers\r\n\r\n",
    );
    let names: Vec<&[u8]> = end_to_end(head.headers()).map(|h| h.name).collect();
    assert_eq!(names, [&b"Host"[..]]);
    assert!(is_hop_by_hop(b"X-a", head.headers()));
    assert!(is_hop_by_hop(b"Keep-Alive", head.headers()));
    assert!(!is_hop_by_hop(b"Host", head.headers()));
}

#[test]
fn via_names_are_checked() {
    for bad in ["", "a b", "a,b", "(c)", "\u{e9}"] {
        assert!(Proxy::new(bad).is_err(), "{bad:?}");
    }
    let p = Proxy::new("example.com:8080").unwrap();
    assert_eq!(p.via(Version::Http10), "1.0 example.com:8080");
    assert!(proxy().default_host("a b").is_err());
}

mod properties {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    const NAMES: [&str; 12] = [
        "X-A",
        "x-a",
        "X-B",
        "Accept",
        "Cookie",
        "Via",
        "Keep-Alive",
        "TE",
        "Upgrade",
        "Proxy-Connection",
        "Proxy-Authorization",
        "Trailer",
    ];
    /// RFC 9110 §7.6.1's fixed list, written out apart from the code.
    const ALWAYS_HOP: [&str; 8] = [
        "connection",
        "proxy-connection",
        "keep-alive",
        "te",
        "transfer-encoding",
        "upgrade",
        "proxy-authorization",
        "proxy-authenticate",
    ];

    proptest! {
        /// Whatever fields and connection options a request carries, the
        /// forwarded request has exactly its end-to-end fields, in order and
        /// case, then `Via`, then its framing, and the next hop reads the
        /// same body framing.
        #[test]
        fn forwarded_requests_keep_exactly_the_end_to_end_fields(
            fields in vec((select(&NAMES[..]), "[a-z0-9]{1,4}"), 0..10),
            options in vec(select(&NAMES[..]), 0..3),
            http10 in any::<bool>(),
            body in 0..3u8,
        ) {
            let version = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
            let mut raw = format!("POST / {version}\r\nHost: h\r\n");
            for (name, value) in &fields {
                raw.push_str(&format!("{name}: {value}\r\n"));
            }
            if !options.is_empty() {
                raw.push_str(&format!("Connection: {}\r\n", options.join(", ")));
            }
            let received_length = match body {
                1 => { raw.push_str("Content-Length: 3\r\n"); BodyLength::Fixed(3) }
                2 if !http10 => { raw.push_str("Transfer-Encoding: chunked\r\n"); BodyLength::Chunked }
                _ => BodyLength::Empty,
            };
            raw.push_str("\r\n");
            let head = received_request(&raw);
            let p = proxy();
            let fwd = p.forward_request(&head, Version::Http11).unwrap();
            let sent = fwd.head().headers;

            let dropped = |name: &[u8]| {
                ALWAYS_HOP.iter().chain(&options).any(|o| name.eq_ignore_ascii_case(o.as_bytes()))
                    || name.eq_ignore_ascii_case(b"content-length")
            };
            let kept: Vec<Header<'_>> =
                head.headers().iter().filter(|h| !dropped(h.name)).collect();
            let via = Header::new("Via", if http10 { "1.0 p" } else { "1.1 p" });
            prop_assert_eq!(&sent[..kept.len()], &kept[..]);
            prop_assert_eq!(sent[kept.len()], via);
            prop_assert!(sent.len() <= kept.len() + 2);

            // The next hop reads the same framing.
            let bytes = sent_request(&fwd);
            let next = received_request(&bytes);
            prop_assert_eq!(next.body_length(), received_length);
            for h in next.headers() {
                let ours = h.is("content-length") || h.is("transfer-encoding") || h == via;
                prop_assert!(ours || !dropped(h.name), "{:?} reached the next hop", h);
            }
        }
    }
}
