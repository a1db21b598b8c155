//! Body decoders: fixed length, chunked (resumable at every byte) and
//! until close. Each takes bytes from the front of the receive buffer and
//! hands out body data as zero-copy `Bytes` slices of it.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::RecvErrorKind;
use crate::headers::{is_field_vchar, is_tchar, Headers};
use crate::lenience::{Lenience, Leniencies};
use crate::message::BodyLength;
use crate::parse::HeadScanner;
use crate::Config;

/// One step of decoding.
// Heads carry their field index inline so that a message costs no
// allocation; boxing the large variant would add one per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Decoded {
    /// Body bytes (never empty).
    Data(Bytes),
    /// The body ended; trailers (empty unless chunked with trailers).
    End(Headers),
    /// Nothing more can be decoded from the buffer yet.
    NeedData,
}

/// A body decoder, chosen from the message's [`BodyLength`].
#[derive(Debug, Clone)]
pub(crate) enum Decoder {
    Fixed { remaining: u64 },
    Chunked(Chunked),
    UntilClose,
}

impl Decoder {
    pub(crate) fn new(length: BodyLength) -> Self {
        match length {
            BodyLength::Empty => Self::Fixed { remaining: 0 },
            BodyLength::Fixed(n) => Self::Fixed { remaining: n },
            BodyLength::Chunked => Self::Chunked(Chunked::default()),
            BodyLength::UntilClose => Self::UntilClose,
        }
    }

    /// Marks the body as a response's, read by a client: the chunked
    /// leniencies scoped to responses apply to it.
    pub(crate) fn in_response(mut self, yes: bool) -> Self {
        if let Self::Chunked(c) = &mut self {
            c.response = yes;
        }
        self
    }

    /// The leniencies this body needed so far.
    pub(crate) fn leniencies(&self) -> Leniencies {
        match self {
            Self::Chunked(c) => c.lenient,
            _ => Leniencies::NONE,
        }
    }

    /// Decodes from the front of `buf`. `received` counts body bytes so far
    /// (for `max_body_len`). `fields` reads a trailer section: the
    /// connection's head parser, idle while a body is read (one parser per
    /// connection, none made per message).
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
        received: &mut u64,
        fields: &mut HeadScanner,
    ) -> Result<Decoded, RecvErrorKind> {
        match self {
            Self::Fixed { remaining: 0 } => Ok(Decoded::End(Headers::empty())),
            Self::Fixed { remaining } => {
                if buf.is_empty() {
                    // Judged without bytes too, so the verdict does not
                    // depend on how the input was split.
                    over_limit(*received, *remaining, config)?;
                    return Ok(Decoded::NeedData);
                }
                Ok(Decoded::Data(fixed_piece(
                    remaining, buf, config, received,
                )?))
            }
            Self::UntilClose => {
                if buf.is_empty() {
                    return Ok(Decoded::NeedData);
                }
                // No length is declared: hand out bytes up to the limit and
                // refuse at the first byte past it, so what is delivered
                // before the 413 does not depend on how input was split.
                let room = config
                    .max_body_len
                    .map_or(u64::MAX, |max| max.saturating_sub(*received));
                if room == 0 {
                    return Err(RecvErrorKind::BodyTooLarge);
                }
                let n = room.min(buf.len() as u64) as usize;
                Ok(Decoded::Data(take(buf, n, config, received)?))
            }
            Self::Chunked(c) => c.decode(buf, config, received, fields),
        }
    }

    /// The next piece of body data when it is at hand: bytes of a
    /// fixed-length body, or of a chunk (after the common framing lines,
    /// [`Chunked::fast_line`]). `None` otherwise, with the state as
    /// [`decode`](Self::decode) would have left it after the same steps:
    /// `decode` answers. The straight path of `poll_event`: a small
    /// result, where `decode` returns a [`Decoded`] large enough to hold
    /// trailers.
    #[inline]
    pub(crate) fn next_data(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
        received: &mut u64,
    ) -> Option<Result<Bytes, RecvErrorKind>> {
        match self {
            Self::Fixed { remaining } if *remaining != 0 && !buf.is_empty() => {
                Some(fixed_piece(remaining, buf, config, received))
            }
            Self::Chunked(c) => c.next_data(buf, config, received),
            _ => None,
        }
    }

    /// Whether the body ended with nothing left to report but its `End`
    /// with no trailers (the last chunk and an empty trailer section,
    /// read by [`next_data`](Self::next_data)).
    #[inline]
    pub(crate) fn ended(&self) -> bool {
        matches!(self, Self::Chunked(c) if c.st == St::Done)
    }

    /// Body bytes still expected, when the framing says (fixed length).
    pub(crate) fn remaining(&self) -> Option<u64> {
        match self {
            Self::Fixed { remaining } => Some(*remaining),
            _ => None,
        }
    }

    /// The peer closed: the body ends cleanly only if it was delimited by
    /// the close.
    pub(crate) fn eof(&self) -> Result<Decoded, RecvErrorKind> {
        match self {
            Self::UntilClose => Ok(Decoded::End(Headers::empty())),
            Self::Fixed { remaining: 0 } => Ok(Decoded::End(Headers::empty())),
            _ => Err(RecvErrorKind::IncompleteMessage),
        }
    }
}

/// `BodyTooLarge` if `received` plus `announced` more bytes would pass
/// `max_body_len`.
fn over_limit(received: u64, announced: u64, config: &Config) -> Result<(), RecvErrorKind> {
    match config.max_body_len {
        Some(max) if received.saturating_add(announced) > max => Err(RecvErrorKind::BodyTooLarge),
        _ => Ok(()),
    }
}

/// Up to `remaining` bytes of a fixed-length body from a non-empty `buf`.
#[inline]
fn fixed_piece(
    remaining: &mut u64,
    buf: &mut BytesMut,
    config: &Config,
    received: &mut u64,
) -> Result<Bytes, RecvErrorKind> {
    // Judge the declared length, not the bytes at hand, so the verdict
    // does not depend on how the input was split.
    over_limit(*received, *remaining, config)?;
    let n = (*remaining).min(buf.len() as u64);
    *remaining -= n;
    take(buf, n as usize, config, received)
}

fn take(
    buf: &mut BytesMut,
    n: usize,
    config: &Config,
    received: &mut u64,
) -> Result<Bytes, RecvErrorKind> {
    *received += n as u64;
    if config.max_body_len.is_some_and(|max| *received > max) {
        return Err(RecvErrorKind::BodyTooLarge);
    }
    Ok(buf.split_to(n).freeze())
}

/// A whole size line of 1 to 15 hex digits and CRLF at the front of
/// `buf` (no extension, no whitespace): its length with the CRLF, and the
/// size. 15 hex digits cannot overflow; longer sizes, extensions and
/// anything else take the checked byte-at-a-time path, which ends in the
/// same state for these lines.
#[inline]
fn plain_size_line(buf: &[u8]) -> Option<(usize, u64)> {
    let mut size = 0u64;
    let mut digits = 0;
    for &b in buf.iter().take(16) {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => break,
        };
        size = size << 4 | u64::from(d);
        digits += 1;
    }
    if digits == 0 || digits > 15 || buf.get(digits..digits + 2) != Some(&b"\r\n"[..]) {
        return None;
    }
    Some((digits + 2, size))
}

/// Where the chunked decoder stands (RFC 9112 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum St {
    /// chunk-size digits (none yet if `digits == 0`).
    #[default]
    Size,
    /// BWS after the size: only `;` may follow.
    SizeBws,
    /// BWS after `;`, before an extension name.
    ExtPreName,
    ExtName,
    /// BWS after a name: `=` or `;` may follow.
    ExtPostName,
    /// BWS after `=`.
    ExtPreVal,
    ExtValToken,
    ExtQuoted,
    ExtQuotedEscape,
    /// Just after a quoted value's closing quote: CR, `;` or BWS.
    ExtQuotedEnd,
    /// After a value: BWS then `;`, or CR.
    ExtPostVal,
    /// CR seen at the end of the chunk-size line.
    LineLf,
    Data,
    DataCr,
    DataLf,
    Trailers,
    Done,
}

/// The chunked decoder: a byte-at-a-time state machine for the size line,
/// zero-copy data, and a bounded trailer section.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chunked {
    st: St,
    size: u64,
    digits: u32,
    ext_len: usize,
    /// Extension bytes of every size line so far (`max_chunk_ext_total`).
    ext_total: usize,
    /// A response body: the chunk leniencies may apply.
    response: bool,
    /// The leniencies its lines and trailers needed.
    lenient: Leniencies,
    remaining: u64,
}

impl Chunked {
    fn decode(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
        received: &mut u64,
        fields: &mut HeadScanner,
    ) -> Result<Decoded, RecvErrorKind> {
        loop {
            match self.st {
                St::Done => return Ok(Decoded::End(Headers::empty())),
                St::Data if buf.is_empty() => {
                    // The chunk's declared size counts before its bytes do
                    // (split-invariant, like the fixed-length check).
                    over_limit(*received, self.remaining, config)?;
                    return Ok(Decoded::NeedData);
                }
                St::Data => return Ok(Decoded::Data(self.data_piece(buf, 0, config, received)?)),
                St::Trailers => return self.trailers(buf, config, fields),
                _ => {
                    if self.fast_line(buf) {
                        continue;
                    }
                    // The size line and the CRLF after data: one byte at a
                    // time, consumed as they are judged.
                    let mut used = 0;
                    let result = loop {
                        let Some(&b) = buf.get(used) else {
                            break Ok(None);
                        };
                        used += 1;
                        match self.line_byte(b, config) {
                            Ok(true) => break Ok(Some(())),
                            Ok(false) => {}
                            Err(e) => break Err(e),
                        }
                    };
                    buf.advance(used);
                    match result? {
                        None => return Ok(Decoded::NeedData),
                        Some(()) => continue,
                    }
                }
            }
        }
    }

    /// Chunk data at hand, after at most the CRLF ending the previous
    /// chunk and a plain size line; see [`Decoder::next_data`]. The
    /// framing is judged in place and leaves `buf` with the data
    /// ([`data_piece`](Self::data_piece)): each split or advance of the
    /// shared receive buffer costs more than judging a framing line does.
    #[inline]
    fn next_data(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
        received: &mut u64,
    ) -> Option<Result<Bytes, RecvErrorKind>> {
        // Framing bytes judged but not yet taken from `buf`.
        let mut skip = 0;
        if self.st == St::DataCr {
            if !buf.starts_with(b"\r\n") {
                return None;
            }
            skip = 2;
            self.next_chunk();
        }
        if self.st == St::Size && self.digits == 0 {
            match plain_size_line(&buf[skip..]) {
                Some((used, size)) => {
                    skip += used;
                    self.size = size;
                    self.digits = (used - 2) as u32;
                    self.line_done();
                    // The last chunk and an empty trailer section: the
                    // body is over ([`Decoder::ended`]).
                    if size == 0 && buf.get(skip..skip + 2) == Some(&b"\r\n"[..]) {
                        skip += 2;
                        self.st = St::Done;
                    }
                }
                None => {
                    buf.advance(skip);
                    return None;
                }
            }
        }
        if self.st != St::Data || buf.len() == skip {
            buf.advance(skip);
            return None;
        }
        Some(self.data_piece(buf, skip, config, received))
    }

    /// Bytes of the current chunk after `skip` bytes of framing already
    /// judged, from a `buf` holding more than those. The framing, the data
    /// and the CRLF after the chunk when it is at hand leave `buf` in one
    /// split.
    #[inline]
    fn data_piece(
        &mut self,
        buf: &mut BytesMut,
        skip: usize,
        config: &Config,
        received: &mut u64,
    ) -> Result<Bytes, RecvErrorKind> {
        // The chunk's declared size counts before its bytes do
        // (split-invariant, like the fixed-length check); the bytes at
        // hand are part of it.
        if let Err(e) = over_limit(*received, self.remaining, config) {
            buf.advance(skip);
            return Err(e);
        }
        let n = self.remaining.min((buf.len() - skip) as u64) as usize;
        *received += n as u64;
        self.remaining -= n as u64;
        // The CRLF ending the chunk goes with it when it is at hand.
        let mut tail = 0;
        if self.remaining == 0 {
            if buf.get(skip + n..skip + n + 2) == Some(&b"\r\n"[..]) {
                tail = 2;
                self.next_chunk();
            } else {
                self.st = St::DataCr;
            }
        }
        let mut piece = buf.split_to(skip + n + tail).freeze();
        piece.advance(skip);
        piece.truncate(n);
        Ok(piece)
    }

    /// The common framing lines in one step: the CRLF after chunk data,
    /// and a whole size line of hex digits and CRLF with no extension.
    /// Anything else (extensions, a line split across reads, errors) goes
    /// byte by byte through [`line_byte`](Self::line_byte), which ends in
    /// the same state for these lines.
    fn fast_line(&mut self, buf: &mut BytesMut) -> bool {
        match self.st {
            St::DataCr if buf.starts_with(b"\r\n") => {
                buf.advance(2);
                self.next_chunk();
                true
            }
            St::Size if self.digits == 0 => {
                let Some((used, size)) = plain_size_line(buf) else {
                    return false;
                };
                self.size = size;
                self.digits = (used - 2) as u32;
                buf.advance(used);
                self.line_done();
                true
            }
            _ => false,
        }
    }

    /// Feeds one byte of framing. `Ok(true)` when a state with its own
    /// handling (data, trailers, done) was reached.
    fn line_byte(&mut self, b: u8, config: &Config) -> Result<bool, RecvErrorKind> {
        use RecvErrorKind::{
            BareLf, InvalidChunkExtension as BadExt, InvalidChunkSize as BadSize,
            MissingChunkTerminator,
        };
        let in_ext = !matches!(self.st, St::Size | St::LineLf | St::DataCr | St::DataLf);
        if in_ext && b != b'\r' && b != b'\n' {
            self.count_ext(config)?;
        }
        let ows = b == b' ' || b == b'\t';
        self.st = match (self.st, b) {
            (St::Size, _) if b.is_ascii_hexdigit() => {
                let d = (b as char).to_digit(16).unwrap_or(0) as u64;
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(d))
                    .ok_or(BadSize)?;
                self.digits += 1;
                St::Size
            }
            (St::Size, _) if self.digits == 0 => return Err(BadSize),
            (St::Size, b';') => {
                self.count_ext(config)?;
                St::ExtPreName
            }
            (St::Size, _) if ows => {
                self.count_ext(config)?;
                St::SizeBws
            }
            (St::Size | St::ExtName | St::ExtValToken | St::ExtQuotedEnd, b'\r') => St::LineLf,
            (St::Size | St::ExtName | St::ExtValToken | St::ExtQuotedEnd, b'\n') => {
                if !config.allow_bare_lf {
                    return Err(BareLf);
                }
                self.lenient.insert(Lenience::BareLf);
                return Ok(self.line_done());
            }
            (St::Size, _) => return Err(BadSize),
            (St::SizeBws, _) if ows => St::SizeBws,
            (St::SizeBws, b'\r') if self.response && config.allow_spaces_after_chunk_size => {
                self.lenient.insert(Lenience::SpacesAfterChunkSize);
                St::LineLf
            }
            (St::SizeBws, b';') => St::ExtPreName,
            (St::SizeBws, _) => return Err(BadSize),
            (St::ExtPreName, _) if ows => St::ExtPreName,
            (St::ExtPreName | St::ExtName, _) if is_tchar(b) => St::ExtName,
            (St::ExtName | St::ExtPostName, _) if ows => St::ExtPostName,
            (St::ExtName | St::ExtPostName, b'=') => St::ExtPreVal,
            (
                St::ExtName | St::ExtPostName | St::ExtValToken | St::ExtPostVal | St::ExtQuotedEnd,
                b';',
            ) => St::ExtPreName,
            (St::ExtPreVal, _) if ows => St::ExtPreVal,
            (St::ExtPreVal, b'"') => St::ExtQuoted,
            (St::ExtPreVal | St::ExtValToken, _) if is_tchar(b) => St::ExtValToken,
            // RFC 9112 §7.1.1: BWS only before `;` or `=`, never before CRLF.
            (St::ExtValToken | St::ExtPostVal | St::ExtQuotedEnd, _) if ows => St::ExtPostVal,
            (St::ExtQuoted, b'"') => St::ExtQuotedEnd,
            (St::ExtQuoted, b'\\') => St::ExtQuotedEscape,
            (St::ExtQuoted | St::ExtQuotedEscape, _) if is_field_vchar(b) => St::ExtQuoted,
            (St::LineLf, b'\n') => return Ok(self.line_done()),
            (St::LineLf, _) => return Err(if self.ext_len > 0 { BadExt } else { BadSize }),
            (St::DataCr, b'\r') => St::DataLf,
            // The narrower leniency is the one recorded when both allow it.
            (St::DataCr, b'\n') if self.response && config.allow_lf_after_chunk_data => {
                self.lenient.insert(Lenience::LfAfterChunkData);
                return Ok(self.next_chunk());
            }
            (St::DataCr, b'\n') if config.allow_bare_lf => {
                self.lenient.insert(Lenience::BareLf);
                return Ok(self.next_chunk());
            }
            (St::DataLf, b'\n') => return Ok(self.next_chunk()),
            (St::DataCr | St::DataLf, _) => return Err(MissingChunkTerminator),
            _ => return Err(BadExt),
        };
        Ok(false)
    }

    /// One more byte of chunk extension, on this line and in this body.
    fn count_ext(&mut self, config: &Config) -> Result<(), RecvErrorKind> {
        self.ext_len += 1;
        self.ext_total += 1;
        if self.ext_len > config.max_chunk_ext_len {
            return Err(RecvErrorKind::ChunkExtensionTooLong);
        }
        if self.ext_total > config.max_chunk_ext_total {
            return Err(RecvErrorKind::ChunkExtensionsTooLong);
        }
        Ok(())
    }

    fn line_done(&mut self) -> bool {
        if self.size == 0 {
            self.st = St::Trailers;
        } else {
            self.remaining = self.size;
            self.st = St::Data;
        }
        true
    }

    fn next_chunk(&mut self) -> bool {
        self.st = St::Size;
        self.size = 0;
        self.digits = 0;
        self.ext_len = 0;
        true
    }

    /// The trailer section (RFC 9112 §7.1.2): field lines up to a blank
    /// line, bounded by `max_trailers_len`, validated like header fields.
    fn trailers(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
        fields: &mut HeadScanner,
    ) -> Result<Decoded, RecvErrorKind> {
        // An empty trailer section is just CRLF.
        match buf.first() {
            None => return Ok(Decoded::NeedData),
            Some(b'\r') => match buf.get(1) {
                None => return Ok(Decoded::NeedData),
                Some(b'\n') => {
                    buf.advance(2);
                    self.st = St::Done;
                    return Ok(Decoded::End(Headers::empty()));
                }
                Some(_) => return Err(RecvErrorKind::InvalidTrailer),
            },
            Some(b'\n') if config.allow_bare_lf => {
                self.lenient.insert(Lenience::BareLf);
                buf.advance(1);
                self.st = St::Done;
                return Ok(Decoded::End(Headers::empty()));
            }
            Some(_) => {}
        }
        let scanned = fields.scan_fields(buf, config).map_err(|e| match e {
            RecvErrorKind::TrailersTooLarge | RecvErrorKind::TooManyHeaders => {
                RecvErrorKind::TrailersTooLarge
            }
            RecvErrorKind::BareLf => RecvErrorKind::BareLf,
            _ => RecvErrorKind::InvalidTrailer,
        })?;
        let Some((n, facts)) = scanned else {
            return Ok(Decoded::NeedData);
        };
        let raw = buf.split_to(n).freeze();
        self.st = St::Done;
        self.lenient.extend(facts.lenient);
        Ok(Decoded::End(Headers::from_index(raw, facts.fields)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-step size line agrees with the byte-at-a-time path on every
    /// line it accepts, and declines the lines only that path may judge.
    #[test]
    fn plain_size_line_agrees_with_line_byte() {
        // (line, its length with the CRLF and the size when plain)
        type Row = (&'static [u8], Option<(usize, u64)>);
        let rows: &[Row] = &[
            (b"5\r\nHello", Some((3, 5))),
            (b"0\r\n\r\n", Some((3, 0))),
            (b"aF\r\n", Some((4, 0xaf))),
            (b"0000000000000010\r\n", None), // 16 digits: checked path
            (b"fffffffffffffff\r\n", Some((17, 0xfff_ffff_ffff_ffff))),
            (b"5;x=y\r\n", None),
            (b"5 \r\n", None),
            (b"5\n", None),
            (b"5\r", None),
            (b"5", None),
            (b"\r\n", None),
            (b"g\r\n", None),
            (b"", None),
        ];
        let config = Config::default();
        for &(line, want) in rows {
            assert_eq!(
                plain_size_line(line),
                want,
                "{:?}",
                line.escape_ascii().to_string()
            );
            let Some((used, size)) = want else { continue };
            let mut slow = Chunked::default();
            for &b in &line[..used] {
                let _ = slow.line_byte(b, &config).expect("valid line");
            }
            assert_eq!(slow.size, size, "{:?}", line.escape_ascii().to_string());
            let mut fast = Chunked::default();
            let mut buf = BytesMut::from(line);
            assert!(fast.fast_line(&mut buf));
            assert_eq!(
                (fast.st, fast.size, fast.digits),
                (slow.st, slow.size, slow.digits)
            );
            assert_eq!(buf.len(), line.len() - used);
        }
    }

    /// Data, the CRLF after it and the next size line leave the buffer in
    /// one step; a CRLF not yet received is waited for, not assumed.
    #[test]
    fn next_data_takes_framing_with_the_data() {
        let config = Config::default();
        let mut received = 0;
        let mut c = Chunked::default();
        let mut buf = BytesMut::from(&b"5\r\nHello\r\n2\r\n, \r"[..]);
        let d = c.next_data(&mut buf, &config, &mut received);
        assert_eq!(d, Some(Ok(Bytes::from_static(b"Hello"))));
        assert_eq!((c.st, &buf[..]), (St::Size, &b"2\r\n, \r"[..]));
        let d = c.next_data(&mut buf, &config, &mut received);
        assert_eq!(d, Some(Ok(Bytes::from_static(b", "))));
        assert_eq!((c.st, &buf[..]), (St::DataCr, &b"\r"[..]));
        assert_eq!(c.next_data(&mut buf, &config, &mut received), None);
        buf.extend_from_slice(b"\n0\r\n\r\n");
        assert_eq!(c.next_data(&mut buf, &config, &mut received), None);
        assert_eq!(received, 7);
        let mut fields = HeadScanner::default();
        let step = c.decode(&mut buf, &config, &mut received, &mut fields);
        assert!(matches!(step, Ok(Decoded::End(_))));
        assert!(buf.is_empty());

        // The last chunk with an empty trailer section ends the body here.
        let mut c = Chunked::default();
        let mut buf = BytesMut::from(&b"1\r\nx\r\n0\r\n\r\nGET"[..]);
        let d = c.next_data(&mut buf, &config, &mut received);
        assert_eq!(d, Some(Ok(Bytes::from_static(b"x"))));
        assert_eq!(c.next_data(&mut buf, &config, &mut received), None);
        assert_eq!((c.st, &buf[..]), (St::Done, &b"GET"[..]));
    }
}
