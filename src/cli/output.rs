//! Formatting shared by the subcommands: times, table cells of wide text, and printing to a
//! stdout whose reader may go away.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `println!` for the subcommands: see [`print_out`].
macro_rules! outln {
    () => {
        $crate::cli::output::print_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::print_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Set once stdout's reader has gone (`tanto list | head -1`).
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; a reader that has gone away (a broken pipe) is not an error: the rest of
/// the output is dropped and the command finishes its work and exits as it would have.
/// Other write errors panic, as `print!` does.
pub fn print_out(args: std::fmt::Arguments<'_>) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    // Sanitized here, whatever was printed: ids, names and mailboxes come from a cache that
    // other agents on the host can write, not only from checked mail. tanto's own output
    // holds no escape sequence.
    let text = args.to_string();
    let text = match tanto_mail::sanitize::is_displayable_already(&text) {
        true => text,
        false => tanto_mail::sanitize::for_display(&text),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_GONE.store(true, Ordering::Relaxed);
        }
        Err(e) => panic!("failed printing to stdout: {e}"),
    }
}

/// Prints one JSON document on stdout (the `--json` contract), with the characters that
/// could drive a terminal escaped (`sanitize::json_for_terminal`).
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    outln!("{}", tanto_mail::sanitize::json_for_terminal(&json));
    Ok(())
}

/// Prints a JSON array one element at a time, exactly as `print_json` prints the whole
/// `Vec`: a long list is never held in memory, and stdout is written in large blocks.
pub struct JsonArrayOut<W: std::io::Write> {
    out: std::io::BufWriter<W>,
    first: bool,
    buf: Vec<u8>,
    /// The error that stopped a walk (`push_or_stop`), returned by `finish`.
    failed: Option<anyhow::Error>,
}

impl JsonArrayOut<std::io::StdoutLock<'static>> {
    pub fn stdout() -> Self {
        JsonArrayOut::new(std::io::stdout().lock())
    }
}

impl<W: std::io::Write> JsonArrayOut<W> {
    pub fn new(w: W) -> Self {
        JsonArrayOut {
            out: std::io::BufWriter::with_capacity(64 * 1024, w),
            first: true,
            buf: Vec::new(),
            failed: None,
        }
    }

    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if STDOUT_GONE.load(Ordering::Relaxed) {
            return Ok(());
        }
        match self.out.write_all(bytes) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                STDOUT_GONE.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn push<T: serde::Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(if self.first { b"[\n" } else { b",\n" });
        self.first = false;
        let item = serde_json::to_string_pretty(value)?;
        let item = tanto_mail::sanitize::json_for_terminal(&item);
        // One level deeper, as inside the array (strings never hold a raw newline in JSON).
        for (i, line) in item.as_bytes().split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                buf.push(b'\n');
            }
            buf.extend_from_slice(b"  ");
            buf.extend_from_slice(line);
        }
        let r = self.write(&buf);
        self.buf = buf;
        r
    }

    /// `push` inside a walk that stops on false (`conversations::each`): true to go on;
    /// the error is kept for `finish`.
    pub fn push_or_stop<T: serde::Serialize>(&mut self, value: &T) -> bool {
        match self.push(value) {
            Ok(()) => true,
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }

    /// Closes the array, or returns the error that stopped the walk.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let end: &[u8] = if self.first { b"[]\n" } else { b"\n]\n" };
        self.write(end)?;
        match self.out.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                STDOUT_GONE.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => Ok(r?),
        }
    }
}

/// RFC 3339 in UTC, as the JSON contract has it.
pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// A short local time for tables.
pub fn short_time(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// `s` cut or padded to exactly `width` terminal columns (wide CJK characters count two).
pub fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = s.width();
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        let room = if total > width {
            width.saturating_sub(1)
        } else {
            width
        };
        if used + w > room {
            break;
        }
        out.push(c);
        used += w;
    }
    if total > width && width > 0 {
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_text_is_fitted_by_columns() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語です", 6), "日本… ");
        assert_eq!(fit("日本", 4), "日本");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}

#[cfg(test)]
mod json_stream_tests {
    use super::JsonArrayOut;

    #[test]
    fn a_streamed_array_prints_what_the_whole_vec_prints() {
        #[derive(serde::Serialize)]
        struct Row {
            id: String,
            n: u32,
            tags: Vec<String>,
        }
        for len in [0usize, 1, 3] {
            let rows: Vec<Row> = (0..len)
                .map(|i| Row {
                    id: format!("a\nb{i}"),
                    n: i as u32,
                    tags: vec!["x".into(); i],
                })
                .collect();
            let mut out = Vec::new();
            let mut s = JsonArrayOut::new(&mut out);
            for r in &rows {
                s.push(r).expect("push");
            }
            s.finish().expect("finish");
            let whole = serde_json::to_string_pretty(&rows).expect("json") + "\n";
            assert_eq!(String::from_utf8(out).expect("utf8"), whole, "{len} rows");
        }
    }
}
