//! What the relay does to each client command: the armed rules and the log of commands seen.
//! Plain data, so the matching is unit-tested without sockets.

use std::time::Duration;

/// A one-shot fault on the server's response to a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Make one response line unparsable (imap-proto fails on it).
    Garble,
    /// Let the server apply the command, swallow its response and cut the client off.
    DropResponse,
}

/// What to do with one command.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) hold: Option<Duration>,
    pub(crate) fault: Option<Fault>,
}

struct Hold {
    pattern: String,
    duration: Duration,
}

struct Armed {
    pattern: String,
    fault: Fault,
    /// Matching commands still to let through before this one fires.
    skip: usize,
    fired: bool,
}

/// The relay's rules and its log. Patterns are lowercase needles.
#[derive(Default)]
pub(crate) struct Rules {
    holds: Vec<Hold>,
    faults: Vec<Armed>,
    /// Every command seen, as matched (see `matchable`).
    seen: Vec<String>,
}

/// The text a pattern is matched against: the command line without its tag and CRLF but
/// with the space after the tag, so that ` STORE ` matches `STORE 1 ...` and
/// `UID STORE 1 ...` alike. None for a line with no command after the tag (e.g. IDLE's `DONE`).
pub(crate) fn matchable(line: &[u8]) -> Option<String> {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end_matches(['\r', '\n']);
    let space = line.find(' ')?;
    Some(line[space..].to_string())
}

fn matches(pattern: &str, text: &str) -> bool {
    text.to_ascii_lowercase().contains(pattern)
}

impl Rules {
    pub(crate) fn hold(&mut self, pattern: &str, duration: Duration) {
        self.holds.push(Hold {
            pattern: pattern.to_ascii_lowercase(),
            duration,
        });
    }

    pub(crate) fn release_holds(&mut self) {
        self.holds.clear();
    }

    /// Arms `fault` for the `nth` (1 = the next) command matching `pattern`.
    pub(crate) fn arm(&mut self, pattern: &str, nth: usize, fault: Fault) {
        assert!(nth >= 1, "nth counts from 1 (the next matching command)");
        self.faults.push(Armed {
            pattern: pattern.to_ascii_lowercase(),
            fault,
            skip: nth - 1,
            fired: false,
        });
    }

    /// Logs the command `text` (see `matchable`) and decides what happens to it: the first
    /// matching hold, and the first armed fault whose turn it is (which fires once).
    pub(crate) fn on_command(&mut self, text: &str) -> Decision {
        self.seen.push(text.to_string());
        let hold = self
            .holds
            .iter()
            .find(|h| matches(&h.pattern, text))
            .map(|h| h.duration);
        let mut fault = None;
        for armed in self.faults.iter_mut().filter(|a| !a.fired) {
            if !matches(&armed.pattern, text) {
                continue;
            }
            if armed.skip > 0 {
                armed.skip -= 1;
            } else if fault.is_none() {
                armed.fired = true;
                fault = Some(armed.fault);
            }
        }
        Decision { hold, fault }
    }

    pub(crate) fn fired(&self) -> usize {
        self.faults.iter().filter(|a| a.fired).count()
    }

    pub(crate) fn count(&self, pattern: &str) -> usize {
        let pattern = pattern.to_ascii_lowercase();
        self.seen.iter().filter(|t| matches(&pattern, t)).count()
    }

    pub(crate) fn seen(&self) -> Vec<String> {
        self.seen.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_with_a_leading_space_matches_plain_and_uid_commands() {
        let plain = matchable(b"a1 STORE 1 +FLAGS (x)\r\n").expect("text");
        let uid = matchable(b"a2 uid store 1 +FLAGS (x)\r\n").expect("text");
        assert!(matches(" store ", &plain));
        assert!(matches(" store ", &uid));
        assert!(!matches(" store ", " FETCH 1 (FLAGS)"));
        assert_eq!(matchable(b"DONE\r\n"), None);
    }

    #[test]
    fn a_fault_fires_once_on_the_nth_matching_command() {
        let mut r = Rules::default();
        r.arm(" STORE ", 2, Fault::Garble);
        assert_eq!(r.on_command(" UID STORE 1 +FLAGS (a)").fault, None);
        assert_eq!(r.on_command(" UID FETCH 1 FLAGS").fault, None);
        assert_eq!(
            r.on_command(" UID STORE 2 +FLAGS (a)").fault,
            Some(Fault::Garble)
        );
        assert_eq!(r.on_command(" UID STORE 3 +FLAGS (a)").fault, None);
        assert_eq!(r.fired(), 1);
        assert_eq!(r.count(" store "), 3);
    }

    #[test]
    fn holds_last_until_released() {
        let mut r = Rules::default();
        r.hold(" store ", Duration::from_millis(5));
        for _ in 0..3 {
            assert_eq!(
                r.on_command(" STORE 1 FLAGS ()").hold,
                Some(Duration::from_millis(5))
            );
        }
        assert_eq!(r.on_command(" FETCH 1 FLAGS").hold, None);
        r.release_holds();
        assert_eq!(r.on_command(" STORE 1 FLAGS ()").hold, None);
    }
}
