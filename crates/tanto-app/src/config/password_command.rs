//! Running a `password_command`: its output is read up to a cap (a command that prints more
//! is stopped, never read into memory), and its stderr is kept for the error instead of being
//! drawn over the terminal UI.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};

use super::secrets::PasswordError;

/// The most a password command may print. A password is some dozens of bytes; this leaves
/// room for a `pass` entry's notes after its first line, and stops a runaway command long
/// before it costs memory.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How much of the command's stderr is kept for the error; the rest is read and dropped so
/// that a chatty command never blocks on a full pipe.
const STDERR_KEPT: usize = 4096;

/// How much of that stderr an error shows, in characters: it must stay one readable line.
const STDERR_SHOWN: usize = 200;

/// Runs `command` with `sh -c` and returns what it printed on stdout. `key` is the config
/// table (`mailbox[0].imap`) that the errors name.
pub fn run(key: &str, command: &str) -> Result<Vec<u8>, PasswordError> {
    let could_not_run = |e: io::Error| PasswordError::CouldNotRun {
        key: key.to_string(),
        cause: e.to_string(),
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(could_not_run)?;
    // On a thread of its own: a command that fills the stderr pipe while we wait for its
    // stdout would otherwise wait for us forever.
    let stderr = child
        .stderr
        .take()
        .map(|e| std::thread::spawn(move || keep_first(e, STDERR_KEPT)));
    // Read to its end or one byte past the cap; the pipe closes when this returns, so that
    // whatever in the command still writes gets SIGPIPE.
    let printed = match child.stdout.take() {
        Some(out) => read_at_most(out, OUTPUT_CAP),
        None => Ok(Vec::new()),
    };
    let printed = match printed {
        Ok(p) if p.len() <= OUTPUT_CAP => p,
        Ok(_) => {
            stop(&mut child);
            return Err(PasswordError::TooLong {
                key: key.to_string(),
                kib: OUTPUT_CAP / 1024,
            });
        }
        Err(e) => {
            stop(&mut child);
            return Err(could_not_run(e));
        }
    };
    let status = child.wait().map_err(could_not_run)?;
    let said = stderr
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    if status.success() {
        Ok(printed)
    } else {
        Err(failed(key, status, &said))
    }
}

/// Ends the command (the shell; what it started gets SIGPIPE from the closed pipe). Its
/// stderr is not waited for: a process it left behind may hold that pipe open.
fn stop(child: &mut Child) {
    // Either may fail only because the shell has exited already, which is what we want.
    let _ = child.kill();
    let _ = child.wait();
}

/// The error for a command that exited with `status`, with what it said on stderr if
/// anything.
fn failed(key: &str, status: ExitStatus, stderr: &[u8]) -> PasswordError {
    let key = key.to_string();
    let status = status.to_string();
    let said = one_line(stderr, STDERR_SHOWN);
    if said.is_empty() {
        PasswordError::Failed { key, status }
    } else {
        PasswordError::FailedSaying { key, status, said }
    }
}

/// At most `cap + 1` bytes of `r`: one more than allowed says that there was more.
fn read_at_most(r: impl Read, cap: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(cap as u64 + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The first `n` bytes of `r`, after reading all of it.
fn keep_first(mut r: impl Read, n: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    // A read error only loses part of an explanation: what was read so far is kept.
    let _ = (&mut r).take(n as u64).read_to_end(&mut kept);
    let _ = io::copy(&mut r, &mut io::sink());
    kept
}

/// `bytes` as one line of at most `max` characters: controls and escapes dropped, line
/// breaks made spaces (a command's stderr may hold anything).
fn one_line(bytes: &[u8], max: usize) -> String {
    let line = tanto_mail::sanitize::single_line(&String::from_utf8_lossy(bytes));
    match line.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_is_shown_as_one_clean_line_cut_to_length() {
        let said = one_line(
            b"gpg: decryption failed\n\x1b]52;c;aGk=\x07No secret key\r\n",
            200,
        );
        assert_eq!(said, "gpg: decryption failed No secret key");
        let long = one_line("é".repeat(300).as_bytes(), 200);
        assert_eq!(long.chars().count(), 201, "{long}");
        assert!(long.ends_with('…'));
    }

    #[test]
    fn only_the_head_of_stderr_is_kept_and_the_rest_is_drained() {
        let mut input = io::Cursor::new(vec![b'x'; 100_000]);
        assert_eq!(keep_first(&mut input, 10), b"xxxxxxxxxx");
        assert_eq!(input.position(), 100_000);
    }
}
