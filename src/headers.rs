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

/// Offsets of one field inside the head's bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) name: u32,
    pub(crate) name_len: u32,
    pub(crate) value: u32,
    pub(crate) value_len: u32,
}

/// A [`Span`] in 16-bit offsets, for heads under 64 KiB (all of them with
/// the default `max_head_len`). Half the size keeps `Headers`, and so
/// every event that carries one, small enough to move cheaply.
#[derive(Debug, Clone, Copy, Default)]
struct Short {
    name: u16,
    name_len: u16,
    value: u16,
    value_len: u16,
}

impl Short {
    fn of(s: Span) -> Option<Self> {
        Some(Self {
            name: s.name.try_into().ok()?,
            name_len: s.name_len.try_into().ok()?,
            value: s.value.try_into().ok()?,
            value_len: s.value_len.try_into().ok()?,
        })
    }

    fn wide(self) -> Span {
        Span {
            name: self.name.into(),
            name_len: self.name_len.into(),
            value: self.value.into(),
            value_len: self.value_len.into(),
        }
    }
}

/// Fields kept inline before spilling to the heap. Typical browser
/// requests carry 10–20 fields; 32 keeps them all allocation-free.
const INLINE: usize = 32;

// Heads carry their field index inline so that a message costs no
// allocation; boxing the large variant would add one per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Index {
    Inline { len: u8, spans: [Short; INLINE] },
    Heap(Vec<Span>),
}

/// An ordered list of header (or trailer) fields.
///
/// Names keep their original case and order (proxies need both); lookups
/// ignore case. The fields are slices of one shared [`Bytes`] holding the
/// received head, so a `Headers` costs no copy and, up to 32 fields, no
/// allocation.
#[derive(Clone)]
pub struct Headers {
    raw: Bytes,
    index: Index,
    /// [`name_class`] bits of every field name present.
    names: u64,
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
            index: Index::Inline {
                len: 0,
                spans: [Short {
                    name: 0,
                    name_len: 0,
                    value: 0,
                    value_len: 0,
                }; INLINE],
            },
            names: 0,
        }
    }

    pub(crate) fn with_raw(raw: Bytes) -> Self {
        Self {
            raw,
            ..Self::empty()
        }
    }

    pub(crate) fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Appends a field given by offsets into the raw bytes.
    pub(crate) fn push(&mut self, span: Span) {
        let n = span.name as usize;
        self.names |= name_class(&self.raw[n..n + span.name_len as usize]);
        if let Index::Inline { len, spans } = &mut self.index {
            if let (true, Some(short)) = ((*len as usize) < INLINE, Short::of(span)) {
                spans[*len as usize] = short;
                *len += 1;
                return;
            }
            let mut v = Vec::with_capacity(INLINE * 2);
            v.extend(spans[..*len as usize].iter().map(|s| s.wide()));
            self.index = Index::Heap(v);
        }
        if let Index::Heap(v) = &mut self.index {
            v.push(span);
        }
    }

    fn spans(&self) -> Spans<'_> {
        match &self.index {
            Index::Inline { len, spans } => Spans::Short(spans[..*len as usize].iter()),
            Index::Heap(v) => Spans::Wide(v.iter()),
        }
    }

    fn field(&self, s: Span) -> Header<'_> {
        let n = s.name as usize;
        let v = s.value as usize;
        Header {
            name: &self.raw[n..n + s.name_len as usize],
            value: &self.raw[v..v + s.value_len as usize],
        }
    }

    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.spans().len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fields in received order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            headers: self,
            spans: self.spans(),
        }
    }

    /// The value of the first field named `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter_maybe(name).find(|h| h.is(name)).map(|h| h.value)
    }

    /// Whether any field is named `name` (any case).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter_maybe(name)
            .filter(move |h| h.is(name))
            .map(|h| h.value)
    }

    /// The fields, or none when no field can be named `name`: most
    /// lookups the machine makes (`Transfer-Encoding`, `Expect`,
    /// `Upgrade`, `Keep-Alive`...) are for fields a message lacks.
    fn iter_maybe(&self, name: &str) -> Iter<'_> {
        if self.names & name_class(name.as_bytes()) == 0 {
            return Iter {
                headers: self,
                spans: Spans::Short([].iter()),
            };
        }
        self.iter()
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

/// The field index in either representation.
#[derive(Clone)]
enum Spans<'a> {
    Short(core::slice::Iter<'a, Short>),
    Wide(core::slice::Iter<'a, Span>),
}

impl Spans<'_> {
    fn len(&self) -> usize {
        match self {
            Self::Short(i) => i.len(),
            Self::Wide(i) => i.len(),
        }
    }
}

/// Iterator over the fields of a [`Headers`], in order.
#[derive(Clone)]
pub struct Iter<'a> {
    headers: &'a Headers,
    spans: Spans<'a>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Header<'a>;
    fn next(&mut self) -> Option<Header<'a>> {
        let span = match &mut self.spans {
            Spans::Short(i) => i.next()?.wide(),
            Spans::Wide(i) => *i.next()?,
        };
        Some(self.headers.field(span))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.spans.len();
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let span = match &mut self.spans {
            Spans::Short(i) => i.next_back()?.wide(),
            Spans::Wide(i) => *i.next_back()?,
        };
        Some(self.headers.field(span))
    }
}

impl ExactSizeIterator for Iter<'_> {}

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

    #[test]
    fn spills_past_inline_capacity_in_order() {
        let raw = Bytes::from_static(b"nv");
        let mut h = Headers::with_raw(raw);
        for _ in 0..INLINE + 5 {
            h.push(Span {
                name: 0,
                name_len: 1,
                value: 1,
                value_len: 1,
            });
        }
        assert_eq!(h.len(), INLINE + 5);
        assert!(h.iter().all(|f| f.name == b"n" && f.value == b"v"));
    }

    #[test]
    fn lookups_skip_absent_names_but_find_any_case() {
        let raw = Bytes::from_static(b"X-aB1vContent-LENGTHvhOSTv");
        let mut h = Headers::with_raw(raw);
        for (name, name_len) in [(0, 5), (6, 14), (21, 4)] {
            h.push(Span {
                name,
                name_len,
                value: name + name_len,
                value_len: 1,
            });
        }
        for name in ["x-Ab1", "content-length", "Host", "HOST"] {
            assert_eq!(h.get(name), Some(&b"v"[..]), "{name}");
            assert_eq!(h.get_all(name).count(), 1, "{name}");
        }
        for name in ["transfer-encoding", "hosts", "x-ab2", "", "expect"] {
            assert_eq!(h.get(name), None, "{name}");
        }
    }

    #[test]
    fn tokens_are_case_insensitive_across_lines() {
        let raw = Bytes::from_static(b"ConnectionKeep-Alive, fooCONNECTIONClose");
        let mut h = Headers::with_raw(raw);
        h.push(Span {
            name: 0,
            name_len: 10,
            value: 10,
            value_len: 15,
        });
        h.push(Span {
            name: 25,
            name_len: 10,
            value: 35,
            value_len: 5,
        });
        assert!(h.has_token("connection", "keep-alive"));
        assert!(h.has_token("Connection", "close"));
        assert!(!h.has_token("connection", "upgrade"));
        assert_eq!(h.list("connection").count(), 3);
    }
}
