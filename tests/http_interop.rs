//! Feature `http`: received heads into `http` parts and back out, and
//! `http` heads sent as they were meant. Every round trip goes through real
//! machines: bytes in, `http` types, bytes out.
#![cfg(feature = "http")]

use bytes::Buf;
use keepalive::http::{
    trailers_from_http, trailers_to_http, AbsoluteForm, HttpError, OriginalHeaders,
    OutgoingRequest, OutgoingResponse, ReasonPhrase,
};
use keepalive::{
    BodyLength, Config, Connection, Event, Header, Recv, Request, RequestHead, ResponseHead, Role,
    SendBuf,
};

fn received_request(raw: &str) -> RequestHead {
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(raw.as_bytes());
    match conn.poll_event() {
        Ok(Recv::Event(Event::Request(head))) => head,
        other => panic!("{raw:?}: {other:?}"),
    }
}

fn received_response(raw: &str) -> ResponseHead {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    let host = [Header::new("Host", "h")];
    conn.send_request(&Request::new("GET", "/", &host), &mut out)
        .unwrap();
    conn.send_end(&[], &mut out).unwrap();
    conn.receive(raw.as_bytes());
    match conn.poll_event() {
        Ok(Recv::Event(Event::Response(head))) => head,
        other => panic!("{raw:?}: {other:?}"),
    }
}

fn sent_request(req: &OutgoingRequest<'_>) -> String {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    conn.send_request(&req.head(), &mut out).unwrap();
    String::from_utf8(out.copy_to_bytes(out.remaining()).to_vec()).unwrap()
}

fn sent_response(res: &OutgoingResponse<'_>) -> String {
    let mut conn = Connection::new(Role::Server, Config::default());
    conn.receive(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    while let Ok(Recv::Event(_)) = conn.poll_event() {}
    let mut out = SendBuf::new();
    conn.send_response(&res.head(), &mut out).unwrap();
    String::from_utf8(out.copy_to_bytes(out.remaining()).to_vec()).unwrap()
}

const MIXED: &str = "POST /p?q=1 HTTP/1.1\r\nHost: example\r\nX-Case: a\r\nAccept: */*\r\nx-CASE: b\r\nContent-Length: 3\r\n\r\n";

#[test]
fn request_round_trip_keeps_case_and_order() {
    let head = received_request(MIXED);
    let parts = head.to_http().unwrap();
    assert_eq!(parts.method, http::Method::POST);
    assert_eq!(parts.uri, "/p?q=1");
    assert_eq!(parts.version, http::Version::HTTP_11);
    let values: Vec<_> = parts.headers.get_all("x-case").iter().collect();
    assert_eq!(values, ["a", "b"]);
    assert_eq!(
        parts.extensions.get::<BodyLength>(),
        Some(&BodyLength::Fixed(3))
    );
    assert_eq!(
        parts.extensions.get::<OriginalHeaders>(),
        Some(&OriginalHeaders(head.headers().clone()))
    );
    assert_eq!(
        sent_request(&OutgoingRequest::from_parts(&parts).unwrap()),
        MIXED
    );
}

#[test]
fn without_the_extension_case_and_order_are_lost_as_documented() {
    let head = received_request(MIXED);
    let mut parts = head.to_http().unwrap();
    parts.extensions.remove::<OriginalHeaders>();
    // Lowercase names; the two x-case lines grouped under the first.
    assert_eq!(
        sent_request(&OutgoingRequest::from_parts(&parts).unwrap()),
        "POST /p?q=1 HTTP/1.1\r\nhost: example\r\nx-case: a\r\nx-case: b\r\naccept: */*\r\ncontent-length: 3\r\n\r\n"
    );
}

#[test]
fn changed_fields_follow_the_kept_ones_with_the_received_case() {
    let head = received_request(MIXED);
    let mut parts = head.to_http().unwrap();
    parts
        .headers
        .insert("accept", "text/plain".parse().unwrap());
    parts.headers.append("x-new", "1".parse().unwrap());
    parts.headers.remove("x-case");
    assert_eq!(
        sent_request(&OutgoingRequest::from_parts(&parts).unwrap()),
        "POST /p?q=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 3\r\nx-new: 1\r\nAccept: text/plain\r\n\r\n"
    );
}

#[test]
fn request_targets_keep_their_form() {
    // (received target, form marker expected, sent target)
    let rows = [
        ("/a/b?c", false, "/a/b?c"),
        ("*", false, "*"),
        ("http://example/x?y", true, "http://example/x?y"),
    ];
    for (target, absolute, sent) in rows {
        let method = if target == "*" { "OPTIONS" } else { "GET" };
        let raw = format!("{method} {target} HTTP/1.1\r\nHost: example\r\n\r\n");
        let parts = received_request(&raw).to_http().unwrap();
        assert_eq!(
            parts.extensions.get::<AbsoluteForm>().is_some(),
            absolute,
            "{target}"
        );
        assert_eq!(
            sent_request(&OutgoingRequest::from_parts(&parts).unwrap()),
            format!("{method} {sent} HTTP/1.1\r\nHost: example\r\n\r\n")
        );
    }
    let parts = received_request("CONNECT example:443 HTTP/1.1\r\nHost: example:443\r\n\r\n")
        .to_http()
        .unwrap();
    assert_eq!(
        sent_request(&OutgoingRequest::from_parts(&parts).unwrap()),
        "CONNECT example:443 HTTP/1.1\r\nHost: example:443\r\n\r\n"
    );
}

#[test]
fn http_requests_built_by_hand_are_sent_in_origin_form_with_host_first() {
    let req = http::Request::builder()
        .method("PUT")
        .uri("http://example.com:8080/up?x=1")
        .header("Content-Length", "2")
        .body(())
        .unwrap();
    assert_eq!(
        sent_request(&OutgoingRequest::from_request(&req).unwrap()),
        "PUT /up?x=1 HTTP/1.1\r\nHost: example.com:8080\r\ncontent-length: 2\r\n\r\n"
    );
    let req = http::Request::builder()
        .uri("http://example.com")
        .version(http::Version::HTTP_10)
        .body(())
        .unwrap();
    assert_eq!(
        sent_request(&OutgoingRequest::from_request(&req).unwrap()),
        "GET / HTTP/1.0\r\n\r\n"
    );
}

#[test]
fn what_cannot_be_converted_is_an_error() {
    let req = http::Request::builder()
        .version(http::Version::HTTP_2)
        .uri("/")
        .body(())
        .unwrap();
    assert_eq!(
        OutgoingRequest::from_request(&req).err(),
        Some(HttpError::Version)
    );
    let req = http::Request::builder()
        .method("CONNECT")
        .uri("/no-authority")
        .body(())
        .unwrap();
    assert_eq!(
        OutgoingRequest::from_request(&req).err(),
        Some(HttpError::Target)
    );
    // `Uri` refuses targets of 64 KiB and more, which a machine configured
    // for long targets accepts.
    let mut config = Config::default();
    config.max_target_len = 100_000;
    config.max_head_len = 200_000;
    let mut conn = Connection::new(Role::Server, config);
    let target = format!("/{}", "a".repeat(70_000));
    conn.receive(format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes());
    let Ok(Recv::Event(Event::Request(head))) = conn.poll_event() else {
        panic!()
    };
    assert_eq!(head.to_http().err(), Some(HttpError::Target));
}

#[test]
fn response_round_trip_keeps_reason_case_and_order() {
    let raw = "HTTP/1.1 200 Fine Thanks\r\nX-B: 1\r\nset-cookie: a=1\r\nX-A: 2\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n";
    let parts = received_response(raw).to_http().unwrap();
    assert_eq!(parts.status, http::StatusCode::OK);
    assert_eq!(
        parts.extensions.get::<ReasonPhrase>().map(|r| &r.0[..]),
        Some(&b"Fine Thanks"[..])
    );
    assert_eq!(sent_response(&OutgoingResponse::from_parts(&parts)), raw);
    // A canonical phrase needs no extension.
    let parts = received_response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        .to_http()
        .unwrap();
    assert!(parts.extensions.get::<ReasonPhrase>().is_none());
    let res = http::Response::builder().status(204).body(()).unwrap();
    assert_eq!(
        sent_response(&OutgoingResponse::from_response(&res)),
        "HTTP/1.1 204 No Content\r\n\r\n"
    );
}

#[test]
fn trailers_round_trip_through_a_header_map() {
    let mut server = Connection::new(Role::Server, Config::default());
    server.receive(
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
          0\r\nX-Sum: 1\r\nx-sum: 2\r\nX-Other: 3\r\n\r\n",
    );
    let Ok(Recv::Event(Event::Request(_))) = server.poll_event() else {
        panic!()
    };
    let Ok(Recv::Event(Event::End(trailers))) = server.poll_event() else {
        panic!()
    };
    let map = trailers_to_http(&trailers).unwrap();
    let sums: Vec<_> = map.get_all("x-sum").iter().collect();
    assert_eq!(sums, ["1", "2"]);
    // Sent back out as trailers of a chunked request.
    let mut client = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    let fields = [
        Header::new("Host", "h"),
        Header::new("Transfer-Encoding", "chunked"),
    ];
    client
        .send_request(&Request::new("POST", "/", &fields), &mut out)
        .unwrap();
    client
        .send_end(&trailers_from_http(&map), &mut out)
        .unwrap();
    let wire = String::from_utf8(out.copy_to_bytes(out.remaining()).to_vec()).unwrap();
    assert!(
        wire.ends_with("0\r\nx-sum: 1\r\nx-sum: 2\r\nx-other: 3\r\n\r\n"),
        "{wire}"
    );
}
