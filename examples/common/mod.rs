//! What the example adapters share: command lines, routes, response
//! building and result reporting, none of it doing IO. Each adapter keeps
//! its own IO loop, so each example still reads as the adapter a user
//! would write; every framing and persistence decision stays in
//! [`keepalive::Connection`].

// Each example compiles this module on its own and uses only its half.
#![allow(dead_code)]

pub mod client;
pub mod server;
