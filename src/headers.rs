//! [`Headers`]: an ordered, case-preserving, zero-copy field list.

use core::fmt;

use bytes::Bytes;

/// One field line: a name and a value, borrowed.
///
/// Received fields come out of [`Headers::iter`]; fields to send are built
/// with [`Header::new`] (text) or [`Header::bytes`] (raw octets).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// The field name, exactly as received or given (case preserved).
    pub name: &'a [u8],
    /// The field value, without leading or trailing whitespace.
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    /// A field from text.
    pub const fn new(name: &'a str, value: &'a str) -> Self {
        Self {
            name: name.as_bytes(),
            value: value.as_bytes(),
        }
    }

    /// A field from raw octets (values may hold obs-text, bytes ≥ 0x80).
    pub const fn bytes(name: &'a [u8], value: &'a [u8]) -> Self {
        Self { name, value }
    }

    /// Whether the name equals `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {:?}", Latin1(self.name), Latin1(self.value))
    }
}

/// Debug-prints bytes as Latin-1 text.
pub(crate) struct Latin1<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for Latin1<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: String = self.0.iter().map(|&b| b as char).collect();
        fmt::Debug::fmt(&s, f)
    }
}

/// An ordered list of header (or trailer) fields.
///
/// Names keep their original case and order (proxies need both); lookups
/// ignore case. A `Headers` is a view of the received field lines, one
/// shared [`Bytes`] of the head already validated by the parser, so it
/// costs no copy and no allocation however many fields there are, and it
/// is small enough (48 bytes) to move cheaply inside every event. Lines are
/// split again when iterated; lookups of names absent from the head are
/// answered without looking at the bytes.
#[derive(Clone)]
pub struct Headers {
    /// The whole head (or trailer section).
    raw: Bytes,
    /// Offset of the first field line in `raw`.
    start: u32,
    /// Number of field lines.
    len: u32,
    /// [`name_class`] bits of every field name present.
    names: u64,
    /// The value (offset, length) of the first line of each [`KNOWN`]
    /// field, so the lookups every message needs (framing, persistence,
    /// `Host`) cost no scan: offset [`ABSENT`], or [`UNINDEXED`] past 64 KiB.
    known: [(u16, u16); KNOWN.len()],
    /// Bit `i`: [`KNOWN`]`[i]` appears on more than one line.
    repeated: u8,
}

/// The fields the machine itself looks up on every message, by their
/// index in [`KNOWN`]: looking them up costs no name comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    Host = 0,
    ContentLength = 1,
    TransferEncoding = 2,
    Connection = 3,
    Expect = 4,
    Upgrade = 5,
    KeepAlive = 6,
}

/// Field names the machine itself looks up on every message.
const KNOWN: [&str; 7] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "upgrade",
    "keep-alive",
];
const ABSENT: u16 = u16::MAX;
const UNINDEXED: u16 = u16::MAX - 1;

/// The [`KNOWN`] index of `name`, if it is one (any case).
fn known_index(name: &[u8]) -> Option<usize> {
    let i = match name.len() {
        4 => 0,
        14 => 1,
        17 => 2,
        10 if name[0] | 0x20 == b'c' => 3,
        10 => 6,
        6 => 4,
        7 => 5,
        _ => return None,
    };
    name.eq_ignore_ascii_case(KNOWN[i].as_bytes()).then_some(i)
}

impl Default for Headers {
    fn default() -> Self {
        Self::empty()
    }
}

impl Headers {
    /// A list with no fields.
    pub const fn empty() -> Self {
        Self {
            raw: Bytes::new(),
            start: 0,
            len: 0,
            names: 0,
            known: [(ABSENT, 0); KNOWN.len()],
            repeated: 0,
        }
    }

    /// The fields `parsed` by httparse from `src`, a buffer of the same
    /// length and field section as `raw` (either `raw` itself or a copy
    /// with the start line patched).
    pub(crate) fn from_parsed(raw: Bytes, src: &[u8], parsed: &[httparse::Header<'_>]) -> Self {
        let start = match parsed.first() {
            Some(h) => h.name.as_ptr() as usize - src.as_ptr() as usize,
            None => raw.len(),
        };
        let mut names = 0;
        let mut known = [(ABSENT, 0); KNOWN.len()];
        let mut repeated = 0;
        for h in parsed {
            let name = h.name.as_bytes();
            names |= name_class(name);
            if let Some(i) = known_index(name) {
                if known[i].0 == ABSENT {
                    let value = trim_ows(h.value);
                    let at = value.as_ptr() as usize - src.as_ptr() as usize;
                    known[i] = match (u16::try_from(at), u16::try_from(value.len())) {
                        (Ok(at), Ok(len)) if at < UNINDEXED => (at, len),
                        _ => (UNINDEXED, 0),
                    };
                } else {
                    repeated |= 1 << i;
                }
            }
        }
        Self {
            raw,
            start: start as u32,
            len: parsed.len() as u32,
            names,
            known,
            repeated,
        }
    }

    pub(crate) fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The fields in received order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            rest: self.raw.get(self.start as usize..).unwrap_or(&[]),
            left: self.len as usize,
        }
    }

    /// The value of the first field named `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        match self.first_without_scan(name) {
            Some(answer) => answer,
            None => self.iter().find(|h| h.is(name)).map(|h| h.value),
        }
    }

    /// Whether any field is named `name` (any case).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> Values<'a> {
        match self.first_without_scan(name) {
            Some(answer) => Values::One(answer),
            None => Values::Scan(self.iter(), name),
        }
    }

    /// The values of a field the machine itself needs, in order.
    pub(crate) fn known(&self, field: Known) -> Values<'_> {
        let i = field as usize;
        match self.known[i] {
            (ABSENT, _) => Values::One(None),
            (at, len) if at != UNINDEXED && self.repeated & (1 << i) == 0 => {
                let (at, len) = (usize::from(at), usize::from(len));
                Values::One(self.raw.get(at..at + len))
            }
            _ => Values::Scan(self.iter(), KNOWN[i]),
        }
    }

    /// The comma-list elements of a field the machine itself needs.
    pub(crate) fn known_list(&self, field: Known) -> impl Iterator<Item = &[u8]> {
        self.known(field).flat_map(list_elements)
    }

    /// `Some(first value)` when `name` is absent or on one line only and
    /// that is known without reading the fields; `None`: scan them. Most
    /// lookups the machine makes (`Transfer-Encoding`, `Expect`,
    /// `Upgrade`, `Keep-Alive`...) are for absent fields, the rest
    /// (`Host`, `Content-Length`, `Connection`) for single lines.
    fn first_without_scan(&self, name: &str) -> Option<Option<&[u8]>> {
        if self.names & name_class(name.as_bytes()) == 0 {
            return Some(None);
        }
        let i = known_index(name.as_bytes())?;
        match self.known[i] {
            (ABSENT, _) => Some(None),
            (UNINDEXED, _) => None,
            _ if self.repeated & (1 << i) != 0 => None,
            (at, len) => {
                let (at, len) = (usize::from(at), usize::from(len));
                Some(self.raw.get(at..at + len))
            }
        }
    }

    /// The elements of the comma-separated list formed by every field named
    /// `name` (RFC 9110 §5.6.1 and §5.3: several field lines are one list),
    /// with optional whitespace trimmed and empty elements skipped.
    /// Commas inside quoted strings do not split.
    pub fn list<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).flat_map(list_elements)
    }

    /// Whether the list `name` holds `token`, ignoring ASCII case (e.g.
    /// `has_token("connection", "close")`).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name)
            .any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl<'a> IntoIterator for &'a Headers {
    type Item = Header<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// One of 64 classes of field name, from its length and first letter
/// (ASCII case folded): names in different classes never match.
fn name_class(name: &[u8]) -> u64 {
    let first = u64::from(name.first().map_or(0, |b| b | 0x20));
    1 << ((name.len() as u64).wrapping_mul(7).wrapping_add(first) % 64)
}

/// The values of the fields with one name, from [`Headers::get_all`].
#[derive(Clone)]
pub enum Values<'a> {
    #[doc(hidden)]
    One(Option<&'a [u8]>),
    #[doc(hidden)]
    Scan(Iter<'a>, &'a str),
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Self::One(v) => v.take(),
            Self::Scan(fields, name) => fields.find(|h| h.is(name)).map(|h| h.value),
        }
    }
}

/// Iterator over the fields of a [`Headers`], in order.
#[derive(Clone)]
pub struct Iter<'a> {
    /// The field lines not yet visited (and the blank line after them).
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Header<'a>;
    fn next(&mut self) -> Option<Header<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The parser validated these lines: `name ":" OWS value OWS`,
        // ended by CRLF (or LF where allowed), folds already unfolded.
        let end = find_lf(self.rest).unwrap_or(self.rest.len());
        let line = &self.rest[..end];
        self.rest = self.rest.get(end + 1..).unwrap_or(&[]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
        Some(Header {
            name: &line[..colon],
            value: trim_ows(line.get(colon + 1..).unwrap_or(&[])),
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The first LF in `s`, eight bytes per step: heads are scanned for line
/// ends on every message, so it must cost about a byte's worth of work per
/// eight bytes, not per byte.
pub(crate) fn find_lf(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut words = s.chunks_exact(8);
    let mut base = 0;
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or([0; 8])) ^ LF;
        // Nonzero iff some byte of `x` is zero (some byte of `w` is LF);
        // the lowest set bit marks the first such byte.
        let found = x.wrapping_sub(ONES) & !x & HIGH;
        if found != 0 {
            return Some(base + (found.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| base + i)
}

pub(crate) fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ows(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_ows(*last) {
            break;
        }
        s = rest;
    }
    s
}

/// Splits one field value into its list elements (RFC 9110 §5.6.1):
/// `#element => [ element ] *( OWS "," OWS [ element ] )`. Quoted strings
/// (with backslash escapes) are kept whole; empty elements are dropped.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = value;
    core::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let mut i = 0;
        let mut quoted = false;
        while i < rest.len() {
            match rest[i] {
                b'"' => quoted = !quoted,
                b'\\' if quoted => i += 1,
                b',' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        let end = i.min(rest.len());
        let element = trim_ows(&rest[..end]);
        rest = if end < rest.len() {
            &rest[end + 1..]
        } else {
            &[]
        };
        if !element.is_empty() {
            return Some(element);
        }
    })
}

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+'
        | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// Whether `s` is a non-empty token (RFC 9110 §5.6.2).
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// A byte allowed inside a field value: VCHAR, SP, HTAB, obs-text
/// (RFC 9110 §5.5). CR, LF, NUL and other controls are not.
pub(crate) const fn is_field_vchar(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elems(v: &str) -> Vec<&[u8]> {
        list_elements(v.as_bytes()).collect()
    }

    #[test]
    fn list_syntax_follows_rfc9110_5_6_1() {
        // "empty elements do not contribute to the count of elements present"
        assert_eq!(elems(", ,a ,  b,,"), vec![&b"a"[..], b"b"]);
        assert_eq!(elems(""), Vec::<&[u8]>::new());
        assert_eq!(elems(" \t"), Vec::<&[u8]>::new());
        // quoted strings keep their commas
        assert_eq!(
            elems(r#"gzip;q="a,b", chunked"#),
            vec![&br#"gzip;q="a,b""#[..], b"chunked"]
        );
        assert_eq!(
            elems(r#"x;p="a\",b", y"#),
            vec![&br#"x;p="a\",b""#[..], b"y"]
        );
    }

    /// A `Headers` over a field block, parsed as the machine parses heads.
    fn parsed(block: &'static [u8]) -> Headers {
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let (_, fields) = httparse::parse_headers(block, &mut slots).unwrap().unwrap();
        Headers::from_parsed(Bytes::from_static(block), block, fields)
    }

    #[test]
    fn many_fields_iterate_in_order_without_an_index() {
        let block: &'static [u8] = Box::leak(
            (0..50)
                .map(|i| format!("X-{i}: v{i} \r\n"))
                .chain(["\r\n".to_owned()])
                .collect::<String>()
                .into_bytes()
                .into_boxed_slice(),
        );
        let h = parsed(block);
        assert_eq!(h.len(), 50);
        assert_eq!(h.iter().len(), 50);
        for (i, f) in h.iter().enumerate() {
            assert_eq!(f.name, format!("X-{i}").as_bytes());
            assert_eq!(f.value, format!("v{i}").as_bytes(), "trailing OWS trimmed");
        }
        assert_eq!(h.get("x-49"), Some(&b"v49"[..]));
    }

    #[test]
    fn known_names_are_indexed_exactly() {
        for (i, name) in KNOWN.iter().enumerate() {
            assert_eq!(known_index(name.as_bytes()), Some(i));
            assert_eq!(known_index(name.to_uppercase().as_bytes()), Some(i));
        }
        assert_eq!(known_index(b"hosts"), None);
        assert_eq!(known_index(b"hose"), None);
        assert_eq!(known_index(b"keep-alivf"), None);
        let h =
            parsed(b"Connection: a\r\nX: 1\r\nConnection: b\r\nHost: h\r\nConnection: c\r\n\r\n");
        assert_eq!(
            h.get_all("connection").collect::<Vec<_>>(),
            vec![&b"a"[..], b"b", b"c"]
        );
        assert_eq!(h.get_all("HOST").collect::<Vec<_>>(), vec![&b"h"[..]]);
        assert_eq!(h.get_all("expect").count(), 0);
    }

    #[test]
    fn lookups_skip_absent_names_but_find_any_case() {
        let h = parsed(b"Host: a\r\nCONTENT-length:  5\r\nX-Empty:\r\n\r\n");
        assert_eq!(h.get("content-length"), Some(&b"5"[..]));
        assert_eq!(h.get("Host"), Some(&b"a"[..]));
        assert_eq!(h.get("x-empty"), Some(&b""[..]));
        assert_eq!(h.get("transfer-encoding"), None);
        assert!(!h.contains("upgrade"));
        assert_eq!(Headers::empty().iter().count(), 0);
    }

    #[test]
    fn bare_lf_lines_split_too() {
        let h = parsed(b"A: 1\nB: 2\n\n");
        let got: Vec<_> = h.iter().map(|f| (f.name, f.value)).collect();
        assert_eq!(got, vec![(&b"A"[..], &b"1"[..]), (&b"B"[..], &b"2"[..])]);
    }

    #[test]
    fn tokens_are_case_insensitive_across_lines() {
        let h = parsed(b"Connection: Keep-Alive, foo\r\nCONNECTION: Close\r\n\r\n");
        assert!(h.has_token("connection", "keep-alive"));
        assert!(h.has_token("Connection", "close"));
        assert!(!h.has_token("connection", "upgrade"));
        assert_eq!(h.list("connection").count(), 3);
    }
}
