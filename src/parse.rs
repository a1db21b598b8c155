//! Reading a head in one pass: a resumable parser that finds the end of
//! the head, checks every byte against the grammar of RFC 9112 §2–§5 as
//! it arrives, and records the start line and the fields the machine needs
//! (`Host`, framing, `Connection`...) on the way. A head fed one byte at a
//! time is read once in total, and refused at the first byte that makes it
//! invalid, not when it ends.
//!
//! A head that is already whole when first looked at, and plain (CRLF
//! line ends, no obs-fold, nothing a leniency must bend), is read first by
//! the fast path in `fast.rs`, in one pass over runs of bytes. The fast
//! path decides no error: at the first byte it does not expect it gives up
//! and this parser reads the head from its start, so every rule and every
//! error kind is this parser's alone.

use crate::error::RecvErrorKind;
use crate::headers::FieldIndex;
use crate::lenience::{Lenience, Leniencies};
use crate::message::Version;
use crate::syntax::{find_value_stop, trim_ows, valid_target, TARGET_CHARS, TCHAR};
use crate::Config;

/// Longest method accepted, in bytes; longer ones are answered 501
/// (RFC 9112 §3: "A server that receives a method longer than any that it
/// implements SHOULD respond with a 501 (Not Implemented) status code").
/// The longest registered method, `UPDATEREDIRECTREF`, has 17 bytes.
pub(crate) const MAX_METHOD_LEN: usize = 32;

/// What the parser found in a complete head: the start line and the index
/// of the fields, as offsets into the head's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScanFacts {
    /// A field line starts with whitespace (obs-fold, allowed here).
    pub(crate) obs_fold: bool,
    /// Request: the method. Response: the reason phrase ((0, 0) if empty).
    first: (u32, u32),
    /// Request: the method's index in [`crate::head::STANDARD_METHODS`],
    /// or `u8::MAX`.
    method: u8,
    /// Request: the target.
    target: (u32, u32),
    status: u16,
    version: Version,
    pub(crate) fields: FieldIndex,
    /// The leniencies that fired.
    pub(crate) lenient: Leniencies,
}

impl Default for ScanFacts {
    fn default() -> Self {
        Self {
            obs_fold: false,
            first: (0, 0),
            method: u8::MAX,
            target: (0, 0),
            status: 0,
            version: Version::Http11,
            fields: FieldIndex::EMPTY,
            lenient: Leniencies::NONE,
        }
    }
}

/// What the bytes being read are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Request,
    Response,
    /// Field lines only: a trailer section.
    Fields,
}

/// Which line a CR or LF ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Start,
    Field,
    Blank,
}

/// Where in the head the parser is; the first state is set from the
/// [`Mode`] when nothing has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum St {
    #[default]
    Method,
    Target,
    ReqVersion,
    RespVersion,
    Status,
    Reason,
    /// A CR was read at the end of this line; LF must follow.
    Cr(Line),
    LineStart,
    /// An invalid response field line being skipped, up to its LF.
    Skip,
    Name,
    NameWs,
    Value,
}

/// No offset recorded yet.
const NONE: u32 = u32::MAX;

/// The longest head or trailer section read, whatever the limit: every
/// offset fits a `u32` other than [`NONE`].
const MAX_OFFSET: usize = (u32::MAX - 1) as usize;

/// The resumable one-pass head parser. It remembers where it stopped, so
/// the bytes of a head are looked at once however they are split.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadScanner {
    /// Where reading resumes (u32: heads are far below 4 GiB, and every
    /// idle `Connection` holds one of these).
    pos: u32,
    st: St,
    /// Where the element being read (target, version, name, the value on
    /// this line) starts.
    mark: usize,
    /// The [`Known`] slot of the field being read, if it is the first line
    /// of a known field.
    slot: Option<u8>,
    /// The trimmed value of the field being read, across folded lines.
    vstart: u32,
    vend: u32,
    /// The name of the field being read, noted in the index when its
    /// line ends (a line skipped as invalid leaves no trace).
    name: (u32, u32),
    /// A name waits to be noted.
    pending: bool,
    /// The value being read continues a folded line.
    in_fold: bool,
    /// The previous line was skipped as invalid (its folds are too).
    after_skip: bool,
    facts: ScanFacts,
}

type Scanned = Result<Option<(usize, ScanFacts)>, RecvErrorKind>;

impl HeadScanner {
    /// Whether no byte of a head has been scanned yet.
    pub(crate) fn is_fresh(&self) -> bool {
        self.pos == 0
    }

    /// An empty line ended by a bare LF was skipped before the next start
    /// line (RFC 9112 §2.2, [`Config::allow_bare_lf`]): the head read next
    /// records it, read by this parser, not the fast path, which reads
    /// only heads that bend nothing.
    pub(crate) fn note_bare_lf_before_head(&mut self) {
        self.facts.lenient.insert(Lenience::BareLf);
    }

    /// Reads `buf` (which starts at the head) up to the blank line ending
    /// the head. `Ok(Some((n, facts)))`: the head is `buf[..n]`.
    /// `Ok(None)`: valid so far, need more.
    #[cfg(test)]
    pub(crate) fn scan(&mut self, buf: &[u8], config: &Config, is_request: bool) -> Scanned {
        let mut facts = ScanFacts::default();
        let n = self.scan_into(buf, config, is_request, &mut facts)?;
        Ok(n.map(|n| (n, facts)))
    }

    /// [`Self::scan`] writing what it found into `facts` (which must be
    /// [`ScanFacts::default`] on entry) instead of returning it: the
    /// caller's slot is filled in place, not copied out of a return value.
    /// `Ok(Some(n))`: the head is `buf[..n]`, described by `facts`.
    #[inline]
    pub(crate) fn scan_into(
        &mut self,
        buf: &[u8],
        config: &Config,
        is_request: bool,
        facts: &mut ScanFacts,
    ) -> Result<Option<usize>, RecvErrorKind> {
        let mode = if is_request {
            Mode::Request
        } else {
            Mode::Response
        };
        if let Some(n) = self.fast(buf, config, mode, config.max_head_len, facts) {
            return Ok(Some(n));
        }
        match self.run(buf, config, mode, config.max_head_len) {
            Ok(Some((n, found))) => {
                *facts = found;
                Ok(Some(n))
            }
            Ok(None) => Ok(None),
            Err(over) => Err(over.unwrap_or(RecvErrorKind::HeadTooLarge)),
        }
    }

    /// Reads a trailer section (field lines up to a blank line) from `buf`,
    /// bounded by `config.max_trailers_len`.
    pub(crate) fn scan_fields(&mut self, buf: &[u8], config: &Config) -> Scanned {
        let limit = config.max_trailers_len;
        let mut facts = ScanFacts::default();
        if let Some(n) = self.fast(buf, config, Mode::Fields, limit, &mut facts) {
            return Ok(Some((n, facts)));
        }
        self.run(buf, config, Mode::Fields, limit)
            .map_err(|over| over.unwrap_or(RecvErrorKind::TrailersTooLarge))
    }

    /// The fast path, tried once per head, when nothing of it has been
    /// read yet: a whole, plain head within `limit` is read in one pass,
    /// into `facts` (default on entry).
    #[inline]
    fn fast(
        &mut self,
        buf: &[u8],
        config: &Config,
        mode: Mode,
        limit: usize,
        facts: &mut ScanFacts,
    ) -> Option<usize> {
        // One test for both: a head begun, or a leniency noted before it.
        if self.pos | u32::from(self.facts.lenient.bits()) != 0 {
            return None;
        }
        fast::head(self, within(buf, limit), config, mode, facts)
    }

    /// Takes over from the fast path, which read every line before the
    /// field line at `at` (giving `facts`) and stopped there: the state is
    /// the one this parser reaches at that line's start. `slot` and
    /// `value` are the previous line's known slot and trimmed value, which
    /// a fold would continue.
    fn resume_at(&mut self, at: usize, facts: ScanFacts, slot: Option<u8>, value: (u32, u32)) {
        *self = Self {
            pos: at as u32,
            st: St::LineStart,
            slot,
            vstart: value.0,
            vend: value.1,
            facts,
            ..Self::default()
        };
    }

    /// `Err(None)`: the head is longer than `limit`.
    fn run(
        &mut self,
        buf: &[u8],
        config: &Config,
        mode: Mode,
        limit: usize,
    ) -> Result<Option<(usize, ScanFacts)>, Option<RecvErrorKind>> {
        let d = within(buf, limit);
        match self.step(d, config, mode).map_err(Some)? {
            Some(n) => {
                let facts = self.facts;
                *self = Self::default();
                Ok(Some((n, facts)))
            }
            None if buf.len() >= limit.min(MAX_OFFSET) => Err(None),
            None => Ok(None),
        }
    }

    fn step(
        &mut self,
        d: &[u8],
        config: &Config,
        mode: Mode,
    ) -> Result<Option<usize>, RecvErrorKind> {
        use RecvErrorKind::*;
        let mut i = self.pos as usize;
        if i == 0 {
            self.st = match mode {
                Mode::Request => St::Method,
                Mode::Response => St::RespVersion,
                Mode::Fields => St::LineStart,
            };
        }
        // Ends the line whose CR or LF is `d[i]`; returns if the head ended.
        macro_rules! end_line {
            ($line:expr) => {{
                let (next, done) = self.line_end(d, i, $line, mode, config)?;
                i = next;
                if done {
                    self.pos = i as u32;
                    return Ok(Some(i));
                }
            }};
        }
        loop {
            let Some(&b) = d.get(i) else {
                self.pos = i as u32;
                return Ok(None);
            };
            match self.st {
                St::Method => {
                    i += run_of(&d[i..], &TCHAR);
                    if i > MAX_METHOD_LEN {
                        return Err(MethodTooLong);
                    }
                    match d.get(i) {
                        None => {}
                        Some(b' ') if i > 0 => {
                            self.facts.first = (0, i as u32);
                            self.facts.method = standard_method(&d[..i]);
                            i += 1;
                            self.mark = i;
                            self.st = St::Target;
                        }
                        // `GET` alone: the line lacks its target.
                        Some(b'\r' | b'\n') if i > 0 => return Err(InvalidTarget),
                        Some(b'\n') => return Err(empty_line_before_start()),
                        Some(_) => return Err(InvalidMethod),
                    }
                }
                St::Target => {
                    if b == b' ' && i == self.mark && config.allow_multiple_spaces_in_request_line {
                        self.facts.lenient.insert(Lenience::MultipleSpaces);
                        i += 1;
                        self.mark = i;
                        continue;
                    }
                    i += run_of(&d[i..], &TARGET_CHARS);
                    if i - self.mark > config.max_target_len {
                        return Err(TargetTooLong);
                    }
                    match d.get(i) {
                        None => {}
                        Some(b' ') if i > self.mark => {
                            let method = &d[..self.facts.first.1 as usize];
                            if !valid_target(method, &d[self.mark..i]) {
                                return Err(InvalidTarget);
                            }
                            self.facts.target = (self.mark as u32, i as u32);
                            i += 1;
                            self.mark = i;
                            self.st = St::ReqVersion;
                        }
                        // Two spaces, a missing version, a forbidden byte.
                        Some(_) => return Err(InvalidTarget),
                    }
                }
                St::ReqVersion => {
                    if b == b' ' && i == self.mark && config.allow_multiple_spaces_in_request_line {
                        self.facts.lenient.insert(Lenience::MultipleSpaces);
                        i += 1;
                        self.mark = i;
                        continue;
                    }
                    // Each byte is checked as it arrives (issue 14: refuse
                    // at the first byte that makes the head invalid); a
                    // version that arrived whole is checked in one step.
                    if i == self.mark && d.get(i..i + 8).is_some_and(is_version) {
                        i += 8;
                    }
                    while i < d.len() && i - self.mark < 8 && version_byte(i - self.mark, d[i]) {
                        i += 1;
                    }
                    match d.get(i) {
                        None => {}
                        // `method SP target SP version`: a third space is
                        // inside the target.
                        Some(b' ') => return Err(InvalidTarget),
                        Some(b'\r' | b'\n') if i - self.mark == 8 => {
                            self.facts.version = request_version(&d[self.mark..i])?;
                            end_line!(Line::Start);
                        }
                        // `GET /a b HTTP/1.1`: what follows the second space
                        // does not even start like a version, so the space
                        // is taken as inside the target, as a third one is.
                        Some(_) if i == self.mark && !matches!(b, b'H' | b'h' | b'\r' | b'\n') => {
                            return Err(InvalidTarget)
                        }
                        Some(_) => return Err(InvalidVersion),
                    }
                }
                St::RespVersion => {
                    if i < 8 {
                        if !version_byte(i, b) {
                            return Err(if i == 0 && b == b'\n' {
                                empty_line_before_start()
                            } else {
                                InvalidVersion
                            });
                        }
                        i += 1;
                        continue;
                    }
                    match b {
                        b' ' => {}
                        b'\r' | b'\n' => return Err(InvalidStatus),
                        _ => return Err(InvalidVersion),
                    }
                    self.facts.version = match (d[5], d[7]) {
                        (b'1', b'0') => Version::Http10,
                        (b'1', _) => Version::Http11,
                        _ => return Err(UnsupportedVersion),
                    };
                    i += 1;
                    self.mark = i;
                    self.st = St::Status;
                }
                St::Status => {
                    let n = i - self.mark;
                    match b {
                        // RFC 9110 §15: "All valid status codes are within
                        // the range of 100 to 599"; a code below 100 has no
                        // class a client could fall back on (600–999 are
                        // passed on, as hyper and the http crate do).
                        b'0' if n == 0 => return Err(InvalidStatus),
                        b'0'..=b'9' if n < 3 => {
                            self.facts.status = self.facts.status * 10 + u16::from(b - b'0');
                            i += 1;
                        }
                        b' ' if n == 3 => {
                            i += 1;
                            self.mark = i;
                            self.st = St::Reason;
                        }
                        b'\r' | b'\n' if n == 3 => {
                            end_line!(Line::Start);
                        }
                        _ => return Err(InvalidStatus),
                    }
                }
                St::Reason => {
                    let Some(stop) = find_stop(d, i) else {
                        i = d.len();
                        continue;
                    };
                    i = stop;
                    if !matches!(d[i], b'\r' | b'\n') {
                        return Err(InvalidStatus);
                    }
                    if i > self.mark {
                        self.facts.first = (self.mark as u32, i as u32);
                    }
                    end_line!(Line::Start);
                }
                St::Cr(line) => {
                    if b != b'\n' {
                        // A bare CR is refused even where invalid lines
                        // are skipped, as when the LF is in the same piece.
                        return Err(cr_error(line, mode));
                    }
                    i += 1;
                    if self.end_line(line, i, d) {
                        self.pos = i as u32;
                        return Ok(Some(i));
                    }
                }
                St::LineStart => match b {
                    b'\r' | b'\n' => end_line!(Line::Blank),
                    b' ' | b'\t' if self.after_skip => self.st = St::Skip,
                    b' ' | b'\t' => {
                        // obs-fold (RFC 9112 §5.2). Whitespace before the
                        // first field line is not a fold: reject rather
                        // than guess, or, where invalid lines are skipped,
                        // "consume each whitespace-preceded line without
                        // further processing of it" (§2.2).
                        if self.facts.fields.len == 0 || mode == Mode::Fields {
                            self.facts.fields.len += 1;
                            self.skip_or(InvalidHeaderName, mode, config)?;
                            continue;
                        }
                        if mode == Mode::Request {
                            if !config.allow_obs_fold_in_requests {
                                return Err(ObsFold);
                            }
                            // A response's folds bend nothing: RFC 9112
                            // §5.2 makes every user agent unfold them.
                            self.facts.lenient.insert(Lenience::ObsFold);
                        }
                        self.facts.obs_fold = true;
                        self.in_fold = true;
                        self.mark = i;
                        self.st = St::Value;
                    }
                    _ if TCHAR[usize::from(b)] => {
                        if self.facts.fields.len as usize >= config.max_headers {
                            return Err(TooManyHeaders);
                        }
                        self.facts.fields.len += 1;
                        self.after_skip = false;
                        self.in_fold = false;
                        self.mark = i;
                        self.st = St::Name;
                    }
                    _ => {
                        // Counted as the field it is not, then uncounted.
                        self.in_fold = false;
                        self.facts.fields.len += 1;
                        self.skip_or(InvalidHeaderName, mode, config)?;
                    }
                },
                St::Skip => {
                    // A skipped line still ends where every other line
                    // does: a bare CR or a NUL in it refuses the head (as
                    // httparse does), so no other recipient can find a
                    // line end, and a field, where this one skipped none.
                    let Some(at) = find_value_stop(&d[i..]) else {
                        i = d.len();
                        continue;
                    };
                    i += at;
                    let end = match d[i] {
                        b'\n' if config.allow_bare_lf => {
                            self.facts.lenient.insert(Lenience::BareLf);
                            i + 1
                        }
                        b'\n' => return Err(BareLf),
                        b'\r' => match d.get(i + 1) {
                            Some(b'\n') => i + 2,
                            Some(_) => return Err(InvalidHeaderValue),
                            // Looked at again with the byte after it.
                            None => {
                                self.pos = i as u32;
                                return Ok(None);
                            }
                        },
                        0 => return Err(InvalidHeaderValue),
                        _ => {
                            i += 1;
                            continue;
                        }
                    };
                    i = end;
                    self.after_skip = true;
                    self.st = St::LineStart;
                }
                St::Name => {
                    i += run_of(&d[i..], &TCHAR);
                    match d.get(i) {
                        None => {}
                        Some(b':') => {
                            self.name = (self.mark as u32, i as u32);
                            i = self.colon(i);
                        }
                        Some(b' ' | b'\t')
                            if mode == Mode::Response
                                && config.allow_space_before_colon_in_responses =>
                        {
                            self.name = (self.mark as u32, i as u32);
                            self.st = St::NameWs;
                        }
                        // Whitespace after a name makes the line invalid
                        // whatever follows (RFC 9112 §5.1: "No whitespace is
                        // allowed between the field name and colon"):
                        // refused at once, not after a run of whitespace
                        // as long as the head limit.
                        Some(b' ' | b'\t') => self.skip_or(WhitespaceBeforeColon, mode, config)?,
                        Some(_) => self.skip_or(InvalidHeaderName, mode, config)?,
                    }
                }
                // Only with `allow_space_before_colon_in_responses`.
                St::NameWs => match b {
                    b' ' | b'\t' => i += 1,
                    b':' => {
                        self.facts.lenient.insert(Lenience::SpaceBeforeColon);
                        self.facts.fields.ws_before_colon = true;
                        i = self.colon(i);
                    }
                    _ => self.skip_or(InvalidHeaderName, mode, config)?,
                },
                St::Value => {
                    let Some(stop) = find_stop(d, i) else {
                        i = d.len();
                        continue;
                    };
                    i = stop;
                    if !matches!(d[i], b'\r' | b'\n') {
                        self.skip_or(InvalidHeaderValue, mode, config)?;
                        continue;
                    }
                    let value = trim_ows(&d[self.mark..i]);
                    if !value.is_empty() {
                        let at = (value.as_ptr() as usize - d.as_ptr() as usize) as u32;
                        if self.vstart == NONE {
                            self.vstart = at;
                        }
                        self.vend = at + value.len() as u32;
                    }
                    end_line!(Line::Field);
                }
            }
        }
    }

    /// At the colon `d[i]` after a field name: notes the name, returns
    /// where the value starts.
    fn colon(&mut self, i: usize) -> usize {
        self.pending = true;
        self.in_fold = false;
        self.slot = None;
        self.vstart = NONE;
        self.mark = i + 1;
        self.st = St::Value;
        i + 1
    }

    /// At a byte that makes a field line invalid: skips the line when the
    /// configuration allows it for this message, else fails with `err`.
    /// The byte itself is looked at again as part of the skipped line
    /// (it may be its CR or LF).
    fn skip_or(
        &mut self,
        err: RecvErrorKind,
        mode: Mode,
        config: &Config,
    ) -> Result<(), RecvErrorKind> {
        if mode != Mode::Response || !config.skip_invalid_fields_in_responses || self.in_fold {
            return Err(err);
        }
        self.facts.lenient.insert(Lenience::InvalidFieldSkipped);
        self.facts.fields.len -= 1;
        self.facts.fields.skipped = true;
        self.pending = false;
        self.st = St::Skip;
        Ok(())
    }

    /// At the CR or LF `d[i]` ending `line`: consumes the line end as far
    /// as it has arrived. Returns the next position and whether the head
    /// ended.
    fn line_end(
        &mut self,
        d: &[u8],
        i: usize,
        line: Line,
        mode: Mode,
        config: &Config,
    ) -> Result<(usize, bool), RecvErrorKind> {
        let next = if d[i] == b'\r' {
            match d.get(i + 1) {
                Some(b'\n') => i + 2,
                Some(_) => return Err(cr_error(line, mode)),
                None => {
                    // The LF is checked by the `Cr` state when it arrives.
                    self.st = St::Cr(line);
                    return Ok((i + 1, false));
                }
            }
        } else if config.allow_bare_lf {
            self.facts.lenient.insert(Lenience::BareLf);
            i + 1
        } else {
            return Err(RecvErrorKind::BareLf);
        };
        Ok((next, self.end_line(line, next, d)))
    }

    /// A line ended just before `next`. Returns whether the head did.
    #[inline]
    fn end_line(&mut self, line: Line, next: usize, d: &[u8]) -> bool {
        match line {
            Line::Start => self.facts.fields.start = next as u32,
            Line::Field => {
                if self.pending {
                    self.pending = false;
                    self.slot = self
                        .facts
                        .fields
                        .add_name(&d[self.name.0 as usize..self.name.1 as usize]);
                }
                if let Some(slot) = self.slot {
                    let (at, len) = if self.vstart == NONE {
                        (self.mark as u32, 0)
                    } else {
                        (self.vstart, self.vend - self.vstart)
                    };
                    self.facts.fields.set_value(slot, at, len);
                }
            }
            Line::Blank => return true,
        }
        self.st = St::LineStart;
        false
    }
}

/// The part of `buf` a head bounded by `limit` may take. Offsets into a
/// head are `u32` (`NONE` is `u32::MAX`): a limit configured past 4 GiB is
/// read as just under it, so no offset wraps and no slice taken from one
/// can panic.
#[inline]
fn within(buf: &[u8], limit: usize) -> &[u8] {
    &buf[..buf.len().min(limit.min(MAX_OFFSET))]
}

/// The index of `method` in [`crate::head::STANDARD_METHODS`], or
/// `u8::MAX`. A `match` compiles to a length switch and one compare, where
/// a search of the table compares against each name in turn.
fn standard_method(method: &[u8]) -> u8 {
    match method {
        b"GET" => 0,
        b"HEAD" => 1,
        b"POST" => 2,
        b"PUT" => 3,
        b"DELETE" => 4,
        b"CONNECT" => CONNECT,
        b"OPTIONS" => 6,
        b"TRACE" => 7,
        b"PATCH" => 8,
        _ => u8::MAX,
    }
}

/// `CONNECT`'s index in [`crate::head::STANDARD_METHODS`].
const CONNECT: u8 = 5;

mod build;
mod fast;
mod lexical;
pub(crate) use build::{check_request, request_head, response_head, unfolded};
#[cfg(test)]
pub(crate) use build::{parse_request, parse_response};
use lexical::{
    cr_error, empty_line_before_start, find_stop, is_version, request_version, run_of, version_byte,
};

#[cfg(test)]
mod tests;
