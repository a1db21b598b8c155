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
    #[inline]
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
/// is small enough (80 bytes) to move cheaply inside every event. Lines are
/// split again when iterated; lookups of names absent from the head are
/// answered without looking at the bytes.
#[derive(Clone)]
pub struct Headers {
    /// The whole head (or trailer section).
    raw: Bytes,
    index: FieldIndex,
}

/// Where a head's fields are, recorded by the parser as it reads them:
/// enough to iterate the lines again and to answer the lookups every
/// message needs (framing, persistence, `Host`) without a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldIndex {
    /// Offset of the first field line in the head.
    pub(crate) start: u32,
    /// Number of field lines.
    pub(crate) len: u32,
    /// [`name_class`] bits of every field name present.
    names: u64,
    /// The value (offset, length) of the first line of each [`KNOWN`]
    /// field: offset [`ABSENT`], or [`UNINDEXED`] past 64 KiB.
    known: [(u16, u16); KNOWN.len()],
    /// Bit `i`: [`KNOWN`]`[i]` appears on more than one line.
    repeated: u8,
    /// Invalid lines were skipped (a leniency): iteration re-checks each
    /// line and passes over those.
    pub(crate) skipped: bool,
    /// Whitespace before a colon was accepted (a leniency).
    pub(crate) ws_before_colon: bool,
}

impl FieldIndex {
    pub(crate) const EMPTY: Self = Self {
        start: 0,
        len: 0,
        names: 0,
        known: [(ABSENT, 0); KNOWN.len()],
        repeated: 0,
        skipped: false,
        ws_before_colon: false,
    };

    /// Notes a field name; returns the [`Known`] slot whose value the
    /// caller records with [`set_value`](Self::set_value), if this is the
    /// first line of a known field.
    #[inline(always)]
    pub(crate) fn add_name(&mut self, name: &[u8]) -> Option<u8> {
        self.names |= name_class(name);
        let i = known_index(name)?;
        if self.known[i].0 == ABSENT {
            // Claimed now, so a second line of the same name is repeated.
            self.known[i].0 = UNINDEXED;
            Some(i as u8)
        } else {
            self.repeated |= 1 << i;
            None
        }
    }

    /// The [`Known`] slot that the last field line noted, named `name`,
    /// claimed: the one [`add_name`](Self::add_name) returned for it.
    pub(crate) fn last_line_slot(&self, name: &[u8]) -> Option<u8> {
        // It claimed the slot if no line before it had the name, that is,
        // if the name is not (yet) repeated.
        let i = known_index(name)?;
        (self.repeated & (1 << i) == 0).then_some(i as u8)
    }

    /// [`Headers::known_once`] answered from the index alone, for the
    /// head `raw` it indexes; `None` if the value lies past what the index
    /// holds (then the lines are scanned).
    #[inline]
    pub(crate) fn known_once_in<'a>(&self, raw: &'a [u8], field: Known) -> Option<Once<'a>> {
        let i = field as usize;
        if self.repeated & (1 << i) != 0 {
            return Some(Once::Repeated);
        }
        match self.known[i] {
            (ABSENT, _) => Some(Once::Absent),
            (UNINDEXED, _) => None,
            (at, len) => {
                let (at, len) = (usize::from(at), usize::from(len));
                Some(raw.get(at..at + len).map_or(Once::Absent, Once::One))
            }
        }
    }

    /// Records the (trimmed) value of the first line of a known field.
    pub(crate) fn set_value(&mut self, slot: u8, at: u32, len: u32) {
        self.known[usize::from(slot)] = match (u16::try_from(at), u16::try_from(len)) {
            (Ok(at), Ok(len)) if at < UNINDEXED => (at, len),
            _ => (UNINDEXED, 0),
        };
    }
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

/// A [`KNOWN`] name as three little-endian words, its first, middle and
/// last eight bytes (four for names shorter than eight; they overlap and
/// cover names up to 24 bytes), each with a mask of the case bit of its
/// letters: a name matches when `word | fold == known` for every word. The known names hold lower-case
/// letters and `-` only, so folding the case bit only where the name has a
/// letter matches exactly the spellings `eq_ignore_ascii_case` would.
#[derive(Clone, Copy)]
struct Pattern {
    words: [(u64, u64); 3],
}

/// The width and the offsets of the words [`Pattern`] compares for a
/// name of `len` (4 to 24) bytes.
const fn words_of(len: usize) -> (usize, [usize; 3]) {
    let n = if len >= 8 { 8 } else { 4 };
    (n, [0, len / 2 - n / 2, len - n])
}

/// `n` bytes of `s` from `at`, little-endian, and the case bits of the
/// letters among them.
const fn fold_word(s: &[u8], at: usize, n: usize) -> (u64, u64) {
    let (mut word, mut fold, mut k) = (0, 0, 0);
    while k < n {
        let b = s[at + k];
        word |= (b as u64) << (8 * k);
        if b.is_ascii_lowercase() {
            fold |= 0x20 << (8 * k);
        }
        k += 1;
    }
    (word, fold)
}

const fn pattern(name: &str) -> Pattern {
    let s = name.as_bytes();
    let (n, at) = words_of(s.len());
    Pattern {
        words: [
            fold_word(s, at[0], n),
            fold_word(s, at[1], n),
            fold_word(s, at[2], n),
        ],
    }
}

const PATTERNS: [Pattern; KNOWN.len()] = {
    let mut p = [pattern(KNOWN[0]); KNOWN.len()];
    let mut i = 1;
    while i < KNOWN.len() {
        p[i] = pattern(KNOWN[i]);
        i += 1;
    }
    p
};

/// The word of `name` at `at`, `n` (4 or 8) bytes wide.
#[inline]
fn name_word(name: &[u8], at: usize, n: usize) -> u64 {
    if n == 8 {
        let mut w = [0; 8];
        w.copy_from_slice(&name[at..at + 8]);
        u64::from_le_bytes(w)
    } else {
        let mut w = [0; 4];
        w.copy_from_slice(&name[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    }
}

/// The [`KNOWN`] index of `name`, if it is one (any case): a length
/// switch, then word compares.
#[inline]
fn known_index(name: &[u8]) -> Option<usize> {
    match name.len() {
        4 => is_known::<0>(name),
        14 => is_known::<1>(name),
        17 => is_known::<2>(name),
        10 if name[0] | 0x20 == b'c' => is_known::<3>(name),
        10 => is_known::<6>(name),
        6 => is_known::<4>(name),
        7 => is_known::<5>(name),
        _ => None,
    }
}

/// `Some(K)` if `name` is [`KNOWN`]`[K]` (any case). Generic over `K` so
/// that the offsets and words are constants and the slices need no bounds
/// check.
#[inline(always)]
fn is_known<const K: usize>(name: &[u8]) -> Option<usize> {
    let len = KNOWN[K].len();
    if name.len() != len {
        return None;
    }
    let (n, at) = words_of(len);
    let [a, b, c] = PATTERNS[K].words;
    // Most names of a known length are not the known one: the first word
    // tells them apart before the others are loaded.
    let same = name_word(name, 0, n) | a.1 == a.0
        && name_word(name, at[1], n) | b.1 == b.0
        && name_word(name, at[2], n) | c.1 == c.0;
    same.then_some(K)
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
            index: FieldIndex::EMPTY,
        }
    }

    /// The fields of `raw`, a head or trailer section the parser read
    /// and indexed.
    pub(crate) fn from_index(raw: Bytes, index: FieldIndex) -> Self {
        Self { raw, index }
    }

    pub(crate) fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.index.len as usize
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.index.len == 0
    }

    /// The fields in received order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            rest: self.raw.get(self.index.start as usize..).unwrap_or(&[]),
            left: self.index.len as usize,
            check: self.index.skipped.then_some(self.index.ws_before_colon),
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
    #[inline]
    pub(crate) fn known(&self, field: Known) -> Values<'_> {
        let i = field as usize;
        match self.index.known[i] {
            (ABSENT, _) => Values::One(None),
            (at, len) if at != UNINDEXED && self.index.repeated & (1 << i) == 0 => {
                let (at, len) = (usize::from(at), usize::from(len));
                Values::One(self.raw.get(at..at + len))
            }
            _ => Values::Scan(self.iter(), KNOWN[i]),
        }
    }

    /// The value of a field the machine itself needs that may appear on
    /// one line only, answered from the index.
    #[inline]
    pub(crate) fn known_once(&self, field: Known) -> Once<'_> {
        self.index
            .known_once_in(&self.raw, field)
            .unwrap_or_else(|| self.known_once_by_scan(field))
    }

    /// [`known_once`](Self::known_once) for a value the index could not
    /// hold (past 64 KiB into the head).
    #[cold]
    #[inline(never)]
    fn known_once_by_scan(&self, field: Known) -> Once<'_> {
        let mut values = Values::Scan(self.iter(), KNOWN[field as usize]);
        values.next().map_or(Once::Absent, Once::One)
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
        if self.index.names & name_class(name.as_bytes()) == 0 {
            return Some(None);
        }
        let i = known_index(name.as_bytes())?;
        match self.index.known[i] {
            (ABSENT, _) => Some(None),
            (UNINDEXED, _) => None,
            _ if self.index.repeated & (1 << i) != 0 => None,
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
#[inline]
fn name_class(name: &[u8]) -> u64 {
    let first = u64::from(name.first().map_or(0, |b| b | 0x20));
    1 << ((name.len() as u64).wrapping_mul(7).wrapping_add(first) % 64)
}

/// What [`Headers::known_once`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Once<'a> {
    Absent,
    One(&'a [u8]),
    /// On more than one line.
    Repeated,
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
    #[inline]
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
    /// `Some(ws_before_colon)`: the parser skipped invalid lines; pass
    /// over the lines it would not accept.
    check: Option<bool>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Header<'a>;
    fn next(&mut self) -> Option<Header<'a>> {
        loop {
            if self.left == 0 {
                return None;
            }
            // The parser validated these lines: `name ":" OWS value OWS`,
            // ended by CRLF (or LF where allowed), folds already unfolded.
            let end = find_lf(self.rest).unwrap_or(self.rest.len());
            let line = &self.rest[..end];
            self.rest = self.rest.get(end + 1..).unwrap_or(&[]);
            let (name, value) = split_line(line);
            if let Some(ws_ok) = self.check {
                if !line_is_field(line, ws_ok) {
                    continue;
                }
            }
            self.left -= 1;
            return Some(Header {
                name,
                value: trim_ows(value.unwrap_or(&[])),
            });
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// One field line (CR, if any, still on it) split at its first colon: the
/// name without trailing whitespace, and the value, `None` without colon.
#[inline]
fn split_line(line: &[u8]) -> (&[u8], Option<&[u8]>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
    let mut name = &line[..colon];
    while let [rest @ .., b' ' | b'\t'] = name {
        // Only with `allow_space_before_colon_in_responses`.
        name = rest;
    }
    (name, line.get(colon + 1..))
}

/// Whether the parser kept `line` as a field rather than skipping it
/// (`skip_invalid_fields_in_responses`): `name ":" value` with a token
/// name, whitespace before the colon only if `ws_ok`, and no control in
/// the value. Decided on a field's first line alone, as the parser does.
pub(crate) fn line_is_field(line: &[u8], ws_ok: bool) -> bool {
    let (name, value) = split_line(line);
    let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
    is_token(name)
        && (ws_ok || name.len() == colon)
        && value.is_some_and(|v| v.iter().all(|&b| is_field_vchar(b)))
}

// The grammar lives in `syntax.rs`; these names are used from here by
// older call sites.
pub(crate) use crate::syntax::{
    find_lf, is_field_vchar, is_tchar, is_token, list_elements, trim_ows,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Headers` over a field block, read as the machine reads trailers.
    fn parsed(block: &'static [u8]) -> Headers {
        let config = crate::Config {
            allow_bare_lf: true,
            ..crate::Config::default()
        };
        let (n, facts) = crate::parse::HeadScanner::default()
            .scan_fields(block, &config)
            .unwrap()
            .unwrap();
        assert_eq!(n, block.len());
        Headers::from_index(Bytes::from_static(block), facts.fields)
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
        // Every one-byte change of every known name, against the
        // definition: equal ignoring ASCII case.
        for (i, known) in KNOWN.iter().enumerate() {
            for at in 0..known.len() {
                for b in 0..=255u8 {
                    let mut name = known.as_bytes().to_vec();
                    name[at] = b;
                    let want = name.eq_ignore_ascii_case(known.as_bytes()).then_some(i);
                    assert_eq!(known_index(&name), want, "{:?}", Latin1(&name));
                }
            }
        }
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
    fn headers_stay_small() {
        // Heads move through every event: keep them clear of memcpy calls.
        assert!(core::mem::size_of::<Headers>() <= 80);
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
