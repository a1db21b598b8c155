//! RFC 9112 §6.3 "Message Body Length": how the receiver decides where a
//! message body ends, for requests (server role) and responses (client
//! role, depending on the request method). Every row is fed whole and one
//! byte at a time and must give identical events.

mod support;

use keepalive::Config;
use support::{run_client_rows, run_server_rows};

#[test]
fn server_request_body_length() {
    run_server_rows(
        &Config::default(),
        &[
            (
                // §6.3 rule 6: "If this is a request message and none of the
                // above are true, then the message body length is zero"
                "request without framing has no body",
                b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                &["req GET / 1.1 empty", "end", "keep-alive", "closed"],
            ),
            (
                // §6.3 rule 5: "the Content-Length field value ... defines
                // the expected message body length in octets"
                "content-length body",
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                &[
                    "req POST / 1.1 fixed(5)",
                    "data \"hello\"",
                    "end",
                    "keep-alive",
                    "closed",
                ],
            ),
        ],
    );
}

#[test]
fn client_response_body_length() {
    run_client_rows(
        &Config::default(),
        &[(
            // §6.3 rule 1: "Any response to a HEAD request ... cannot contain
            // a message body"
            "HEAD response ignores Content-Length",
            &["HEAD"],
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            &["resp 200 1.1 empty", "end", "keep-alive", "closed"],
        )],
    );
}
