//! RFC 9112 §6.3 "Message Body Length" (with §6.1 and RFC 9110 §8.6): how
//! the receiver decides where a message body ends, for requests (server
//! role) and responses (client role, depending on the request method).
//! Every row is fed whole and one byte at a time and must give identical
//! events (see `testkit::check_row`).

use keepalive::{
    Config, Connection, Header, Recv, RecvErrorKind, Request, Role, SendBuf, SendError,
};
use testkit::{
    client, feed_whole, poll_lines, run_client_rows, run_server_rows, server, ClientRow, ServerRow,
};

#[test]
fn server_request_body_length() {
    let rows: &[ServerRow] = &[
        (
            // §6.3 rule 6: "If this is a request message and none of the above
            // are true, then the message body length is zero"
            "request without framing has no body",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            &["req GET / 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 6 applies to POST too: no framing, no body.
            "POST without framing has no body",
            b"POST / HTTP/1.1\r\nHost: a\r\n\r\n",
            &["req POST / 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 5: "If a valid Content-Length header field is present
            // without Transfer-Encoding, its decimal value defines the expected
            // message body length in octets."
            "content-length body",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            &["req POST / 1.1 fixed(5)", "data \"hello\"", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 5, a zero value: no body octets at all.
            "content-length zero",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            &["req POST / 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9110 §8.6: "Content-Length = 1*DIGIT": leading zeros are digits.
            "content-length with leading zeros",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\n\r\nhello",
            &["req POST / 1.1 fixed(5)", "data \"hello\"", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9110 §8.6: a recipient MAY "replace the duplicated field-values
            // with a single valid Content-Length field" when they are identical.
            "content-length list of identical values",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
            &["req POST / 1.1 fixed(5)", "data \"hello\"", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9110 §8.6, identical values on two field lines.
            "content-length repeated identical lines",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            &["req POST / 1.1 fixed(3)", "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 5: "If a message is received without Transfer-Encoding and
            // with an invalid Content-Length header field, then the message framing
            // is invalid and the recipient MUST treat it as an unrecoverable error
            // ... the server MUST respond with a 400 (Bad Request)"
            "content-length list of differing values",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello",
            &["error InvalidContentLength 400"],
        ),
        (
            // §6.3 rule 5: differing values on two lines are invalid too.
            "content-length differing lines",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            &["error InvalidContentLength 400"],
        ),
        (
            // RFC 9110 §8.6 "1*DIGIT": no sign.
            "content-length negative",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            &["error InvalidContentLength 400"],
        ),
        (
            // RFC 9110 §8.6 "1*DIGIT": no plus sign either.
            "content-length plus sign",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
            &["error InvalidContentLength 400"],
        ),
        (
            // RFC 9110 §8.6 "1*DIGIT": decimal only.
            "content-length hex",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello",
            &["error InvalidContentLength 400"],
        ),
        (
            // RFC 9110 §8.6 "1*DIGIT": no space inside the number.
            "content-length with inner space",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n",
            &["error InvalidContentLength 400"],
        ),
        (
            // RFC 9110 §8.6 "1*DIGIT": at least one digit.
            "content-length empty",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
            &["error InvalidContentLength 400"],
        ),
        (
            // RFC 9110 §8.6: "a recipient MUST anticipate potentially large decimal
            // numerals and prevent parsing errors due to integer conversion
            // overflows"
            "content-length overflow",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            &["error InvalidContentLength 400"],
        ),
        (
            // §6.3 rule 4: "If a Transfer-Encoding header field is present and the
            // chunked transfer coding is the final encoding, the message body
            // length is determined by reading and decoding the chunked data"
            "transfer-encoding chunked",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            &["req POST / 1.1 chunked", "data \"abc\"", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9110 §10.1.4 / §7: coding names are case-insensitive.
            "transfer-encoding chunked any case",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n",
            &["req POST / 1.1 chunked", "end", "keep-alive", "closed"],
        ),
        (
            // RFC 9110 §5.6.1: "a recipient MUST parse and ignore a reasonable
            // number of empty list elements"
            "transfer-encoding with empty list elements",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked ,\r\n\r\n0\r\n\r\n",
            &["req POST / 1.1 chunked", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 3: "the Transfer-Encoding overrides the Content-Length";
            // §6.1: "the server MUST close the connection after responding to
            // such a request"
            "transfer-encoding beats content-length, then close",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            &["req POST / 1.1 chunked", "data \"ok\"", "end", "close(conflicting)"],
        ),
        (
            // §6.3 rule 4: "If a Transfer-Encoding header field is present in a
            // request and the chunked transfer coding is not the final encoding,
            // ... the server MUST respond with the 400 (Bad Request) status code"
            "request transfer-encoding without chunked",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
            &["error TransferEncodingNotChunked 400"],
        ),
        (
            // §7: "transfer-coding = token ..." — `x y` is no coding at all.
            "request transfer coding malformed",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x y\r\n\r\n",
            &["error InvalidTransferCoding 400"],
        ),
        (
            // §6.3 rule 4, chunked present but not final.
            "request transfer-encoding chunked not final",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            &["error TransferEncodingNotChunked 400"],
        ),
        (
            // §6.1: "A sender MUST NOT apply the chunked transfer coding more than
            // once to a message body"
            "request chunked twice",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            &["error TransferEncodingNotChunked 400"],
        ),
        (
            // §6.1 + RFC 9110 §5.3: two field lines form one list, chunked twice.
            "request chunked on two lines",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            &["error TransferEncodingNotChunked 400"],
        ),
        (
            // §6.1: "A server that receives a request message with a transfer
            // coding it does not understand SHOULD respond with 501"
            "unknown coding before chunked",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            &["error UnknownTransferCoding 501"],
        ),
        (
            // §6.1 + RFC 9110 §5.3: codings split over lines still form one list.
            "unknown coding on an earlier line",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
            &["error UnknownTransferCoding 501"],
        ),
        (
            // §6.1: "A server or client that receives an HTTP/1.0 message containing
            // a Transfer-Encoding header field MUST treat the message as if the
            // framing is faulty"
            "HTTP/1.0 with transfer-encoding",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            &["error Http10TransferEncoding 400"],
        ),
        (
            // §6.1 "... even if a Content-Length is present"
            "HTTP/1.0 with transfer-encoding and content-length",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            &["error Http10TransferEncoding 400"],
        ),
        (
            // §8: "A message that uses a valid Content-Length is incomplete if the
            // size of the message body received ... is less than the value given"
            "end of input inside a fixed body",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhe",
            &["req POST / 1.1 fixed(5)", "data \"he\"", "error IncompleteMessage 400"],
        ),
        (
            // §8: "A response that has neither chunked transfer coding nor
            // Content-Length is terminated by closure of the connection" — only a
            // response; a request head cut short is incomplete.
            "end of input inside a head",
            b"GET / HTTP/1.1\r\nHost: a\r\n",
            &["error IncompleteMessage 400"],
        ),
        (
            // §6.3 rule 5: exactly Content-Length octets; the rest is the next request.
            "body then pipelined request",
            b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
            &[
                "req POST /a 1.1 fixed(3)", "data \"abc\"", "end", "keep-alive",
                "req GET /b 1.1 empty", "end", "keep-alive", "closed",
            ],
        ),
        (
            // §6.3 rule 6: a GET without framing ends at its head, so the next
            // bytes start the next request even if they look like a body.
            "bodiless request followed by garbage",
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nhello\r\n\r\n",
            &["req GET / 1.1 empty", "end", "keep-alive", "error InvalidTarget 400"],
        ),
    ];
    run_server_rows(&Config::default(), rows);
}

#[test]
fn client_response_body_length() {
    let rows: &[ClientRow] = &[
        (
            // §6.3 rule 1: "Any response to a HEAD request and any response with a
            // 1xx (Informational), 204 (No Content), or 304 (Not Modified) status
            // code is always terminated by the first empty line after the header
            // fields, regardless of the header fields present"
            "HEAD response ignores Content-Length",
            &["HEAD"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            &["resp 200 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 1 (HEAD) with Transfer-Encoding.
            "HEAD response ignores Transfer-Encoding",
            &["HEAD"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            &["resp 200 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 1 (204).
            "204 ignores Content-Length",
            &["GET"],
            b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
            &["resp 204 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 1 (304).
            "304 ignores Content-Length",
            &["GET"],
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
            &["resp 304 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 1 (304) with Transfer-Encoding.
            "304 ignores Transfer-Encoding",
            &["GET"],
            b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
            &["resp 304 1.1 empty", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 5.
            "response with Content-Length",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            &["resp 200 1.1 fixed(2)", "data \"ok\"", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 5, zero.
            "response with Content-Length 0",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            &["resp 200 1.1 fixed(0)", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 4: chunked is final.
            "chunked response",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            &["resp 200 1.1 chunked", "data \"ok\"", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 4: "If a Transfer-Encoding header field is present in a
            // response and the chunked transfer coding is not the final encoding,
            // the message body length is determined by reading the connection until
            // it is closed by the server."
            "response coding not chunked reads until close",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
            &["resp 200 1.1 until-close", "data \"xyz\"", "end", "close(until-close)"],
        ),
        (
            // §6.3 rule 3: TE overrides CL; §6.1: "MUST close the connection after".
            "response with both TE and CL",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            &["resp 200 1.1 chunked", "data \"ok\"", "end", "close(conflicting)"],
        ),
        (
            // §6.3 rule 7: "Otherwise, this is a response message without a
            // declared message body length, so the message body length is
            // determined by the number of octets received prior to the server
            // closing the connection."
            "response without framing reads until close",
            &["GET"],
            b"HTTP/1.1 200 OK\r\n\r\nall of it",
            &["resp 200 1.1 until-close", "data \"all of it\"", "end", "close(until-close)"],
        ),
        (
            // §6.3 rule 7 in HTTP/1.0: the first reason (until-close) is kept.
            "HTTP/1.0 response without framing",
            &["GET"],
            b"HTTP/1.0 200 OK\r\n\r\nold",
            &["resp 200 1.0 until-close", "data \"old\"", "end", "close(until-close)"],
        ),
        (
            // §6.3 rule 2: "Any 2xx (Successful) response to a CONNECT request
            // implies that the connection will become a tunnel immediately after
            // the empty line ... A client MUST ignore any Content-Length or
            // Transfer-Encoding header fields received in such a message."
            "2xx to CONNECT is a tunnel",
            &["CONNECT"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            &["resp 200 1.1 empty", "switch connect \"\""],
        ),
        (
            // §6.3 rule 2 is for 2xx only: a 407 to CONNECT has a normal body.
            "non-2xx to CONNECT has a body",
            &["CONNECT"],
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nauth",
            &["resp 407 1.1 fixed(4)", "data \"auth\"", "end", "keep-alive", "closed"],
        ),
        (
            // §6.3 rule 5: "If this is a response message received by a user agent,
            // the user agent MUST close the connection to the server and discard
            // the received response."
            "invalid Content-Length in a response",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
            &["error InvalidContentLength -"],
        ),
        (
            // §6.3 rule 5 / RFC 9110 §8.6: differing values.
            "differing Content-Length values in a response",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            &["error InvalidContentLength -"],
        ),
        (
            // §8: "A message that uses the chunked transfer coding is incomplete if
            // the zero-sized chunk that terminates the encoding has not been
            // received."
            "end of input inside a chunked response",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n",
            &["resp 200 1.1 chunked", "data \"ok\"", "error IncompleteMessage -"],
        ),
        (
            // §8: a fixed-length response cut short is incomplete.
            "end of input inside a fixed response",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            &["resp 200 1.1 fixed(10)", "data \"short\"", "error IncompleteMessage -"],
        ),
        (
            // §6.3 rule 1 then rule 5: the HEAD response ends at its head, so the
            // next response's body is read with its own length.
            "HEAD then GET on one connection",
            &["HEAD", "GET"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            &[
                "resp 200 1.1 empty", "end", "keep-alive",
                "resp 200 1.1 fixed(5)", "data \"hello\"", "end", "keep-alive", "closed",
            ],
        ),
        (
            // §6.3 rule 1: bytes after a 204 head are the next response, not a body.
            "bytes after 204 are not its body",
            &["GET"],
            b"HTTP/1.1 204 No Content\r\n\r\nxyz",
            &["resp 204 1.1 empty", "end", "keep-alive", "error UnsolicitedResponse -"],
        ),
        (
            // §6.3 rule 4: a response whose final coding is a well-formed
            // coding other than chunked is read until the connection closes.
            "unknown response coding",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: abc\r\n\r\nbody",
            &["resp 200 1.1 until-close", "data \"body\"", "end", "close(until-close)"],
        ),
        (
            // §7: "transfer-coding = token ..." — `x y` is no coding at all:
            // malformed, not merely unknown.
            "malformed response coding",
            &["GET"],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: x y\r\n\r\nbody",
            &["error InvalidTransferCoding -"],
        ),
    ];
    run_client_rows(&Config::default(), rows);
}

fn get(conn: &mut Connection, out: &mut SendBuf, method: &str) -> Result<(), SendError> {
    conn.send_request(&Request::new(method, "/", &[Header::new("Host", "a")]), out)?;
    conn.send_end(&[], out)
}

/// RFC 9112 §6.3: "A client MUST NOT process, cache, or forward such extra
/// data as a separate response, since such behavior would be vulnerable to
/// cache poisoning."
#[test]
fn bytes_left_after_a_response_are_never_the_next_response() {
    let smuggled = b"HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL";
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut out = SendBuf::new();
    get(&mut conn, &mut out, "HEAD").unwrap();
    conn.receive(smuggled);
    for want in ["Response", "End", "Cycle(KeepAlive)"] {
        let Ok(Recv::Event(e)) = conn.poll_event() else {
            panic!()
        };
        assert!(format!("{e:?}").starts_with(want), "{e:?}");
    }
    assert!(!conn.is_reusable());
    assert_eq!(get(&mut conn, &mut out, "GET"), Err(SendError::NotReusable));
    // Polled instead, the leftover is reported as what it is.
    assert_eq!(
        conn.poll_event().unwrap_err().kind(),
        RecvErrorKind::UnsolicitedResponse
    );

    // Through recv_buf() too.
    let mut conn = Connection::new(Role::Client, Config::default());
    get(&mut conn, &mut out, "HEAD").unwrap();
    conn.recv_buf().extend_from_slice(smuggled);
    for _ in 0..3 {
        conn.poll_event().unwrap();
    }
    assert_eq!(get(&mut conn, &mut out, "GET"), Err(SendError::NotReusable));

    // Replaying a recorded stream is the one place buffered bytes may be
    // taken as the next response, and only when asked for.
    let mut config = Config::default();
    config.replay_buffered_responses = true;
    let mut conn = Connection::new(Role::Client, config);
    get(&mut conn, &mut out, "HEAD").unwrap();
    conn.receive(smuggled);
    for _ in 0..3 {
        conn.poll_event().unwrap();
    }
    assert!(conn.is_reusable());
    get(&mut conn, &mut out, "GET").unwrap();
    assert_eq!(
        poll_lines(&mut conn)[..2],
        ["resp 200 1.1 fixed(4)", "data \"EVIL\""]
    );
}

/// RFC 9112 §6.3 rule 4: "If a Transfer-Encoding header field is present
/// in a response and the chunked transfer coding is not the final
/// encoding, the message body length is determined by reading the
/// connection until it is closed by the server."
#[test]
fn response_with_chunked_not_final_reads_until_close() {
    let t = feed_whole(
        &client(&["GET"]),
        &Config::default(),
        b"HTTP/1.1 200 X\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc",
    );
    assert_eq!(
        t.lines()[..4],
        [
            "resp 200 1.1 until-close",
            "data \"abc\"",
            "end",
            "close(until-close)"
        ]
    );
    // An empty Transfer-Encoding list says nothing usable: refused.
    let t = feed_whole(
        &server(),
        &Config::default(),
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\nContent-Length: 3\r\n\r\nabc",
    );
    assert_eq!(t.lines()[0], "error TransferEncodingNotChunked 400");
}
