//! IMAP framing, just enough to relay: lines, and the literals announced at their end.

use std::io::{self, BufRead, Read, Write};

/// One line including its LF; None at end of stream.
pub(crate) fn read_line(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    Ok((!line.is_empty()).then_some(line))
}

/// The length of a literal announced at the end of `line` (`{n}` or `{n+}` then CRLF), and
/// where the announcement starts.
pub(crate) fn trailing_literal(line: &[u8]) -> Option<(usize, usize)> {
    let body = line.strip_suffix(b"\n")?;
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let inner = body.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((n, open))
}

/// Copies exactly `n` bytes from `r` to `w`; false when `r` ends first.
pub(crate) fn copy_exact(r: &mut impl Read, w: &mut impl Write, n: usize) -> io::Result<bool> {
    let copied = io::copy(&mut r.take(n as u64), w)?;
    Ok(copied == n as u64)
}

/// One whole server response: a line, and while it announces a literal, the literal and the
/// line after it. None at end of stream (a response cut short is dropped).
pub(crate) fn read_response(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let Some(mut resp) = read_line(r)? else {
        return Ok(None);
    };
    let mut last_start = 0;
    while let Some((n, _)) = trailing_literal(&resp[last_start..]) {
        let before = resp.len();
        if !copy_exact(r, &mut resp, n)? {
            return Ok(None);
        }
        let Some(line) = read_line(r)? else {
            return Ok(None);
        };
        last_start = before + n;
        resp.extend_from_slice(&line);
    }
    Ok(Some(resp))
}

/// Makes the first line of `resp` unparsable while keeping its length and any literal after
/// it: the first `(` after `skip` bytes (or else the byte at `skip`) becomes `!`, e.g.
/// `* 1 FETCH (UID 5)` becomes `* 1 FETCH !UID 5)` and `a1 OK done` becomes `a1 !K done`.
pub(crate) fn garble(resp: &mut [u8], skip: usize) {
    let line_end = resp
        .iter()
        .position(|&b| b == b'\n')
        .map_or(resp.len(), |i| i + 1);
    let end = trailing_literal(&resp[..line_end]).map_or(line_end, |(_, open)| open);
    let Some(region) = resp.get_mut(skip..end) else {
        return;
    };
    let at = region.iter().position(|&b| b == b'(').unwrap_or(0);
    if let Some(b) = region.get_mut(at) {
        *b = b'!';
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_found_at_the_end_of_a_line_only() {
        assert_eq!(
            trailing_literal(b"a1 APPEND INBOX {12}\r\n"),
            Some((12, 16))
        );
        assert_eq!(
            trailing_literal(b"a1 APPEND INBOX () {3+}\r\n"),
            Some((3, 19))
        );
        assert_eq!(trailing_literal(b"a1 SEARCH SUBJECT {x}\r\n"), None);
        assert_eq!(trailing_literal(b"a1 NOOP\r\n"), None);
        assert_eq!(
            trailing_literal(b"* 1 FETCH (BODY[] {0}\r\n"),
            Some((0, 18))
        );
    }

    #[test]
    fn a_response_with_literals_is_read_whole() {
        let wire = b"* 1 FETCH (BODY[] {5}\r\nab\r\nc UID 3)\r\na1 OK done\r\n";
        let mut r = &wire[..];
        let first = read_response(&mut r).expect("io").expect("response");
        assert_eq!(first, b"* 1 FETCH (BODY[] {5}\r\nab\r\nc UID 3)\r\n");
        let second = read_response(&mut r).expect("io").expect("response");
        assert_eq!(second, b"a1 OK done\r\n");
        assert_eq!(read_response(&mut r).expect("io"), None);
    }

    #[test]
    fn garbling_keeps_the_length_and_the_literal() {
        let mut resp = b"* 1 FETCH (BODY[] {2}\r\n(x)\r\n".to_vec();
        garble(&mut resp, 2);
        assert_eq!(resp, b"* 1 FETCH !BODY[] {2}\r\n(x)\r\n");
        let mut tagged = b"a1 OK done\r\n".to_vec();
        garble(&mut tagged, 3);
        assert_eq!(tagged, b"a1 !K done\r\n");
    }
}
