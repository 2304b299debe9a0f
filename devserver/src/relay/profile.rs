//! Service profiles: the relay makes the Dovecot behind it look like a service that cannot
//! be reached from the tests, from that service's published behaviour. Plain functions on
//! one command line or one whole response, so the rewriting is unit-tested without sockets.
//!
//! Commands are judged on their first line (the tag, the command and its arguments up to a
//! literal); the lines that go on after a literal are only rewritten (APPEND's flags).
//! Responses are rewritten in their text only: a literal's bytes are never looked into.

use super::tokens::{body, lex, matching_close, Kind, Tok};
use super::wire::trailing_literal;

/// A service whose published IMAP behaviour the relay puts on the server behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Exchange Online: no keywords, no CONDSTORE/QRESYNC/ENABLE; password LOGIN let through.
    Microsoft365,
    /// Gmail / Google Workspace (imap.gmail.com): keywords and CONDSTORE, no QRESYNC.
    Gmail,
}

/// Exchange Online's capabilities, before and after login alike.
const M365_CAPABILITY: &str = "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID \
                               UNSELECT CHILDREN IDLE NAMESPACE LITERAL+";
/// Exchange's FLAGS and PERMANENTFLAGS: no `\*`, so no keyword can be created.
const M365_FLAGS: [&str; 6] = [
    "\\Seen",
    "\\Answered",
    "\\Flagged",
    "\\Deleted",
    "\\Draft",
    "$MDNSent",
];
/// Exchange's answer to a command it does not know (e.g. ENABLE, NOTIFY).
const M365_UNKNOWN: &str = "BAD Command Error. 10";
/// Exchange's answer to arguments it does not understand (a SEARCH KEYWORD, a CONDSTORE
/// parameter).
const M365_ARGUMENTS: &str = "BAD Command Argument Error. 11";
/// The relay's answer to a STORE of a flag Exchange cannot keep. No published trace of
/// Exchange's own wording was found; this follows its style.
const M365_STORE_REFUSED: &str = "NO Command failed.";

/// Gmail's capabilities after login (before login it shows its AUTH= mechanisms too).
const GMAIL_CAPABILITY: &str = "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN \
                                X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE \
                                ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- \
                                SPECIAL-USE APPENDLIMIT=35651584";
/// Gmail's answers: to a command it does not know, to syntax it does not take, and OK.
const GMAIL_UNKNOWN: &str = "BAD Unknown command";
const GMAIL_PARSE: &str = "BAD Could not parse command";
const GMAIL_OK: &str = "OK Success";

/// Commands both services know, passed on as they are (when nothing else below applies).
const COMMON_COMMANDS: &[&str] = &[
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "AUTHENTICATE",
    "LOGIN",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "STATUS",
    "APPEND",
    "CHECK",
    "CLOSE",
    "EXPUNGE",
    "UID EXPUNGE",
    "SEARCH",
    "UID SEARCH",
    "FETCH",
    "UID FETCH",
    "STORE",
    "UID STORE",
    "COPY",
    "UID COPY",
    "MOVE",
    "UID MOVE",
    "ID",
    "UNSELECT",
    "IDLE",
    "NAMESPACE",
];
/// Commands only Gmail knows of the two (from its capabilities).
const GMAIL_COMMANDS: &[&str] = &[
    "ENABLE",
    "XLIST",
    "GETQUOTA",
    "GETQUOTAROOT",
    "SETQUOTA",
    "COMPRESS",
];

/// What the relay does with one command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Pass it on as it is.
    Forward,
    /// Pass this line on instead.
    Rewrite(Vec<u8>),
    /// Answer the client with these bytes; the command never reaches the server.
    Answer(Vec<u8>),
}

/// A command's first line, lexed: the tag, the command's name (`UID FETCH` for UID
/// commands, upper case) and where its arguments start.
struct Command<'a> {
    /// The line as sent, CRLF included.
    raw: &'a [u8],
    /// The line without its CRLF, which the tokens index.
    line: &'a [u8],
    toks: Vec<Tok>,
    tag: &'a [u8],
    name: String,
    args: usize,
}

impl<'a> Command<'a> {
    fn parse(raw: &'a [u8]) -> Option<Command<'a>> {
        let line = body(raw);
        let toks = lex(line);
        let (tag, verb) = (toks.first()?, toks.get(1)?);
        if tag.kind != Kind::Atom || verb.kind != Kind::Atom {
            return None;
        }
        let upper = |t: &Tok| String::from_utf8_lossy(t.text(line)).to_ascii_uppercase();
        let mut name = upper(verb);
        let mut args = 2;
        if name == "UID" {
            if let Some(sub) = toks.get(2).filter(|t| t.kind == Kind::Atom) {
                name = format!("UID {}", upper(sub));
                args = 3;
            }
        }
        Some(Command {
            raw,
            line,
            tag: tag.text(line),
            toks,
            name,
            args,
        })
    }

    fn args(&self) -> &[Tok] {
        self.toks.get(self.args..).unwrap_or_default()
    }

    /// True when an argument (from the `skip`th on) is one of `words` (atoms only: never a
    /// quoted string, nor a word inside a section such as `BODY[HEADER.FIELDS (MODSEQ)]`).
    fn has_atom(&self, skip: usize, words: &[&str]) -> bool {
        self.args()
            .iter()
            .skip(skip)
            .any(|t| words.iter().any(|w| t.is(self.line, w)))
    }

    /// The relay's own tagged answer, `status` being e.g. `BAD Command Error. 10`.
    fn answer(&self, status: &str) -> Verdict {
        let mut out = self.tag.to_vec();
        out.push(b' ');
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(b"\r\n");
        Verdict::Answer(out)
    }
}

impl Profile {
    /// The capabilities announced for the server's `upstream` list (Gmail keeps its AUTH=).
    pub fn capabilities(self, upstream: &str) -> String {
        match self {
            Profile::Microsoft365 => M365_CAPABILITY.to_string(),
            Profile::Gmail => {
                let mut caps = GMAIL_CAPABILITY.to_string();
                for cap in upstream.split_ascii_whitespace() {
                    let upper = cap.to_ascii_uppercase();
                    if upper.starts_with("AUTH=") || upper == "LOGINDISABLED" {
                        caps.push(' ');
                        caps.push_str(cap);
                    }
                }
                caps
            }
        }
    }

    /// What the relay does with the first line of a client's command.
    pub(crate) fn on_command(self, line: &[u8]) -> Verdict {
        let Some(cmd) = Command::parse(line) else {
            return Verdict::Forward;
        };
        match self {
            Profile::Microsoft365 => m365_command(&cmd),
            Profile::Gmail => gmail_command(&cmd),
        }
    }

    /// A line that goes on after a literal of the command named `name` (as `on_command`
    /// parsed it): None to pass it on as it is, else the line to pass on instead.
    pub(crate) fn on_continuation(self, name: &str, line: &[u8]) -> Option<Vec<u8>> {
        match (self, name) {
            (Profile::Microsoft365, "APPEND") => strip_flag_list(line, 0),
            _ => None,
        }
    }

    /// The name of a command as `on_continuation` wants it (`UID FETCH`, upper case).
    pub(crate) fn command_name(line: &[u8]) -> Option<String> {
        Command::parse(line).map(|c| c.name)
    }

    /// One whole server response as this service would send it; None to drop it.
    pub(crate) fn on_response(self, resp: Vec<u8>) -> Option<Vec<u8>> {
        let first_end = resp
            .iter()
            .position(|&b| b == b'\n')
            .map_or(resp.len(), |i| i + 1);
        let first = &resp[..first_end];
        let toks = lex(first);
        let line = body(first);
        let word = |i: usize| -> Option<String> {
            toks.get(i)
                .filter(|t| t.kind == Kind::Atom)
                .map(|t| String::from_utf8_lossy(t.text(line)).to_ascii_uppercase())
        };
        let (Some(head), Some(second)) = (word(0), word(1)) else {
            return Some(resp);
        };
        let status = matches!(second.as_str(), "OK" | "NO" | "BAD" | "BYE" | "PREAUTH");
        let untagged = head == "*";
        if status {
            return self.status_response(resp, first_end, untagged);
        }
        if !untagged {
            return Some(resp);
        }
        match (self, second.as_str()) {
            (_, "CAPABILITY") => {
                let upstream = String::from_utf8_lossy(&line[toks[1].end..]);
                let caps = self.capabilities(&upstream);
                let mut out = format!("* CAPABILITY {caps}\r\n").into_bytes();
                out.extend_from_slice(&resp[first_end..]);
                Some(out)
            }
            (Profile::Microsoft365, "FLAGS") => {
                let mut out = format!("* FLAGS ({})\r\n", M365_FLAGS.join(" ")).into_bytes();
                out.extend_from_slice(&resp[first_end..]);
                Some(out)
            }
            (Profile::Gmail, "ENABLED") => {
                let kept: Vec<&Tok> = toks[2..]
                    .iter()
                    .filter(|t| !t.is(line, "QRESYNC"))
                    .collect();
                let mut out = b"* ENABLED".to_vec();
                for t in kept {
                    out.push(b' ');
                    out.extend_from_slice(t.text(line));
                }
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(&resp[first_end..]);
                Some(out)
            }
            (Profile::Microsoft365, _) if word(2).as_deref() == Some("FETCH") => m365_fetch(resp),
            _ => Some(resp),
        }
    }

    /// A status response (`* OK [...] ...`, `a1 OK [...] ...`): its response code rewritten.
    fn status_response(self, resp: Vec<u8>, first_end: usize, untagged: bool) -> Option<Vec<u8>> {
        let line = body(&resp[..first_end]);
        let toks = lex(line);
        let Some(code) = toks.get(2).filter(|t| line[t.start] == b'[') else {
            return Some(resp);
        };
        let inner = String::from_utf8_lossy(&line[code.start + 1..code.end]);
        let inner = inner.trim_end_matches(']');
        let (name, rest) = inner.split_once(' ').unwrap_or((inner, ""));
        let replacement = match (self, name.to_ascii_uppercase().as_str()) {
            (_, "CAPABILITY") => format!("[CAPABILITY {}]", self.capabilities(rest)),
            // A read-only folder keeps none.
            (Profile::Microsoft365, "PERMANENTFLAGS") if rest.trim() == "()" => return Some(resp),
            (Profile::Microsoft365, "PERMANENTFLAGS") => {
                format!("[PERMANENTFLAGS ({})]", M365_FLAGS.join(" "))
            }
            (Profile::Microsoft365, "HIGHESTMODSEQ" | "NOMODSEQ") if untagged => return None,
            (Profile::Microsoft365, "HIGHESTMODSEQ" | "NOMODSEQ") => String::new(),
            _ => return Some(resp),
        };
        let mut end = code.end;
        if replacement.is_empty() && line.get(end) == Some(&b' ') {
            end += 1;
        }
        let mut out = line[..code.start].to_vec();
        out.extend_from_slice(replacement.as_bytes());
        let text = String::from_utf8_lossy(&line[end..]);
        // The greeting reads as the service's (clients tell servers apart by it).
        if untagged && text.contains("ready") {
            out.extend_from_slice(format!(" {}", self.greeting_text()).as_bytes());
        } else {
            out.extend_from_slice(&line[end..]);
        }
        out.extend_from_slice(&resp[line.len()..]);
        Some(out)
    }

    /// The text of the service's greeting, as it publishes it.
    fn greeting_text(self) -> &'static str {
        match self {
            Profile::Microsoft365 => "The Microsoft Exchange IMAP4 service is ready.",
            Profile::Gmail => "Gimap ready for requests from 127.0.0.1",
        }
    }
}

fn m365_command(cmd: &Command) -> Verdict {
    let args = cmd.args();
    match cmd.name.as_str() {
        // Exchange takes no SELECT parameter at all: (CONDSTORE), (QRESYNC ...).
        "SELECT" | "EXAMINE" if args.iter().skip(1).any(|t| t.kind == Kind::Open) => {
            cmd.answer(M365_ARGUMENTS)
        }
        "FETCH" | "UID FETCH" if cmd.has_atom(1, &["MODSEQ", "CHANGEDSINCE", "VANISHED"]) => {
            cmd.answer(M365_ARGUMENTS)
        }
        "STORE" | "UID STORE" if cmd.has_atom(1, &["UNCHANGEDSINCE"]) => cmd.answer(M365_ARGUMENTS),
        "STORE" | "UID STORE" => match store_flags(cmd) {
            Some(flags) if flags.iter().any(|f| !m365_keeps(f)) => cmd.answer(M365_STORE_REFUSED),
            _ => Verdict::Forward,
        },
        "SEARCH" | "UID SEARCH" if m365_search_refused(cmd) => cmd.answer(M365_ARGUMENTS),
        "STATUS" if cmd.has_atom(1, &["HIGHESTMODSEQ"]) => cmd.answer(M365_ARGUMENTS),
        // LIST-EXTENDED: selection options before the reference, RETURN options after.
        "LIST"
            if args.first().is_some_and(|t| t.kind == Kind::Open)
                || cmd.has_atom(2, &["RETURN"]) =>
        {
            cmd.answer(M365_ARGUMENTS)
        }
        // The flags start after the mailbox; a mailbox sent as a literal leaves them to the
        // next line (`on_continuation`).
        "APPEND" => match strip_flag_list(cmd.raw, cmd.args + 1) {
            Some(line) => Verdict::Rewrite(line),
            None => Verdict::Forward,
        },
        name if COMMON_COMMANDS.contains(&name) => Verdict::Forward,
        _ => cmd.answer(M365_UNKNOWN),
    }
}

fn gmail_command(cmd: &Command) -> Verdict {
    match cmd.name.as_str() {
        "SELECT" | "EXAMINE" if cmd.has_atom(1, &["QRESYNC"]) => cmd.answer(GMAIL_PARSE),
        "FETCH" | "UID FETCH" if cmd.has_atom(1, &["VANISHED"]) => cmd.answer(GMAIL_PARSE),
        // RFC 5161: an extension the server does not offer is left out of `* ENABLED`.
        "ENABLE" if cmd.has_atom(0, &["QRESYNC"]) => {
            let kept: Vec<&Tok> = cmd
                .args()
                .iter()
                .filter(|t| !t.is(cmd.line, "QRESYNC"))
                .collect();
            if kept.is_empty() {
                let mut out = b"* ENABLED\r\n".to_vec();
                if let Verdict::Answer(ok) = cmd.answer(GMAIL_OK) {
                    out.extend_from_slice(&ok);
                }
                return Verdict::Answer(out);
            }
            let mut line = cmd.line[..cmd.toks[1].end].to_vec();
            for t in kept {
                line.push(b' ');
                line.extend_from_slice(t.text(cmd.line));
            }
            line.extend_from_slice(b"\r\n");
            Verdict::Rewrite(line)
        }
        name if COMMON_COMMANDS.contains(&name) || GMAIL_COMMANDS.contains(&name) => {
            Verdict::Forward
        }
        _ => cmd.answer(GMAIL_UNKNOWN),
    }
}

/// True for a flag Exchange keeps (a system flag or `$MDNSent`; no other keyword).
fn m365_keeps(flag: &str) -> bool {
    M365_FLAGS.iter().any(|f| f.eq_ignore_ascii_case(flag))
}

/// The flags a STORE names (`+FLAGS (a b)`, `FLAGS.SILENT a b`, ...): None when it names
/// no FLAGS item (e.g. it goes on in a literal, or stores something else).
fn store_flags(cmd: &Command) -> Option<Vec<String>> {
    let args = cmd.args();
    let item = args.iter().position(|t| {
        let text = String::from_utf8_lossy(t.text(cmd.line)).to_ascii_uppercase();
        t.kind == Kind::Atom
            && matches!(
                text.trim_start_matches(['+', '-']),
                "FLAGS" | "FLAGS.SILENT"
            )
    })?;
    let rest = &args[item + 1..];
    let flags = match rest.first() {
        Some(t) if t.kind == Kind::Open => {
            let close = matching_close(rest, 0).unwrap_or(rest.len());
            &rest[1..close]
        }
        _ => rest,
    };
    Some(
        flags
            .iter()
            .map(|t| String::from_utf8_lossy(t.text(cmd.line)).into_owned())
            .collect(),
    )
}

/// Search keys Exchange refuses: MODSEQ (CONDSTORE), KEYWORD and UNKEYWORD ("Command
/// Argument Error. 11", as published for outlook.office365.com), and ESEARCH's RETURN.
fn m365_search_refused(cmd: &Command) -> bool {
    let args = cmd.args();
    let mut i = 0;
    while let Some(t) = args.get(i) {
        i += 1;
        if t.kind != Kind::Atom {
            continue;
        }
        let key = String::from_utf8_lossy(t.text(cmd.line)).to_ascii_uppercase();
        match key.as_str() {
            "MODSEQ" | "KEYWORD" | "UNKEYWORD" => return true,
            "RETURN" if i == 1 => return true,
            // Keys with one argument: the argument is a value, never a key.
            "BCC" | "BEFORE" | "BODY" | "CC" | "FROM" | "LARGER" | "ON" | "SENTBEFORE"
            | "SENTON" | "SENTSINCE" | "SINCE" | "SMALLER" | "SUBJECT" | "TEXT" | "TO" | "UID"
            | "CHARSET" | "OLDER" | "YOUNGER" => i += 1,
            "HEADER" => i += 2,
            _ => {}
        }
    }
    false
}

/// `line` with the flag list starting at token `at` (if one does) keeping only the flags
/// Exchange keeps; None when it has none to drop.
fn strip_flag_list(line: &[u8], at: usize) -> Option<Vec<u8>> {
    let text = body(line);
    let toks = lex(text);
    if toks.get(at)?.kind != Kind::Open {
        return None;
    }
    let close = matching_close(&toks, at)?;
    let flags = &toks[at + 1..close];
    let kept: Vec<&[u8]> = flags
        .iter()
        .map(|t| t.text(text))
        .filter(|f| m365_keeps(&String::from_utf8_lossy(f)))
        .collect();
    if kept.len() == flags.len() {
        return None;
    }
    let mut out = text[..toks[at].start].to_vec();
    out.push(b'(');
    out.extend_from_slice(&kept.join(&b' '));
    out.push(b')');
    out.extend_from_slice(&line[toks[close].end..]);
    Some(out)
}

/// A FETCH response as Exchange sends it: no MODSEQ item, no keyword but `$MDNSent` in
/// FLAGS. Its text is rewritten around the literals it carries, never inside them. None
/// when nothing is left of it.
fn m365_fetch(resp: Vec<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(resp.len());
    let mut depth = 0usize;
    let mut pos = 0;
    let mut items = 0usize;
    while pos < resp.len() {
        let end = resp[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(resp.len(), |i| pos + i + 1);
        let line = &resp[pos..end];
        let n = trailing_literal(line).map_or(0, |(n, _)| n);
        out.extend_from_slice(&m365_fetch_text(line, &mut depth, &mut items));
        let lit_end = (end + n).min(resp.len());
        out.extend_from_slice(&resp[end..lit_end]);
        pos = lit_end;
    }
    (items > 0).then_some(out)
}

/// One line of a FETCH response's text (up to and including its CRLF), with `depth` the
/// parenthesis depth it starts at (0 on the first line, where `* n FETCH (` opens the item
/// list); counts in `items` the items kept.
fn m365_fetch_text(line: &[u8], depth: &mut usize, items: &mut usize) -> Vec<u8> {
    let text = body(line);
    let toks = lex(text);
    // (start, end, replacement) in `text`, in order.
    let mut edits: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        match t.kind {
            Kind::Open => *depth += 1,
            Kind::Close => *depth = depth.saturating_sub(1),
            Kind::Atom if *depth == 1 && t.is(text, "MODSEQ") => {
                if let Some(close) = toks
                    .get(i + 1)
                    .filter(|o| o.kind == Kind::Open)
                    .and_then(|_| matching_close(&toks, i + 1))
                {
                    // The item and one space beside it.
                    let (mut start, mut end) = (t.start, toks[close].end);
                    if text.get(end) == Some(&b' ') {
                        end += 1;
                    } else if start > 0 && text[start - 1] == b' ' {
                        start -= 1;
                    }
                    edits.push((start, end, Vec::new()));
                    i = close + 1;
                    continue;
                }
            }
            Kind::Atom if *depth == 1 && t.is(text, "FLAGS") => {
                *items += 1;
                if let Some(close) = toks
                    .get(i + 1)
                    .filter(|o| o.kind == Kind::Open)
                    .and_then(|_| matching_close(&toks, i + 1))
                {
                    let kept: Vec<&[u8]> = toks[i + 2..close]
                        .iter()
                        .map(|f| f.text(text))
                        .filter(|f| {
                            let f = String::from_utf8_lossy(f);
                            m365_keeps(&f) || f.eq_ignore_ascii_case("\\Recent")
                        })
                        .collect();
                    let mut list = b"(".to_vec();
                    list.extend_from_slice(&kept.join(&b' '));
                    list.push(b')');
                    edits.push((toks[i + 1].start, toks[close].end, list));
                    i = close + 1;
                    continue;
                }
            }
            Kind::Atom if *depth == 1 => *items += 1,
            _ => {}
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(line.len());
    let mut at = 0;
    for (start, end, replacement) in edits {
        out.extend_from_slice(&text[at..start]);
        out.extend_from_slice(&replacement);
        at = end;
    }
    out.extend_from_slice(&line[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Profile::{Gmail, Microsoft365};

    fn answer(v: Verdict) -> String {
        match v {
            Verdict::Answer(b) => String::from_utf8(b).expect("utf-8"),
            other => panic!("not answered by the relay: {other:?}"),
        }
    }

    fn rewritten(v: Verdict) -> String {
        match v {
            Verdict::Rewrite(b) => String::from_utf8(b).expect("utf-8"),
            other => panic!("not rewritten: {other:?}"),
        }
    }

    fn resp(p: Profile, r: &str) -> Option<String> {
        p.on_response(r.as_bytes().to_vec())
            .map(|b| String::from_utf8(b).expect("utf-8"))
    }

    const DOVECOT_CAPS: &str = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ \
                                AUTH=PLAIN AUTH=LOGIN";

    #[test]
    fn capabilities_read_as_the_service_announces_them() {
        let greeting = format!("* OK [CAPABILITY {DOVECOT_CAPS}] Dovecot ready.\r\n");
        assert_eq!(
            resp(Microsoft365, &greeting).as_deref(),
            Some(
                "* OK [CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE \
                 ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+] The Microsoft Exchange IMAP4 \
                 service is ready.\r\n"
            )
        );
        let untagged = "* CAPABILITY IMAP4rev1 SASL-IR ENABLE CONDSTORE QRESYNC NOTIFY \
                        SPECIAL-USE\r\n";
        assert_eq!(
            resp(Microsoft365, untagged).as_deref(),
            Some(&*format!("* CAPABILITY {M365_CAPABILITY}\r\n"))
        );
        let login = "a1 OK [CAPABILITY IMAP4rev1 CONDSTORE QRESYNC] Logged in\r\n";
        assert_eq!(
            resp(Gmail, login).as_deref(),
            Some(&*format!(
                "a1 OK [CAPABILITY {GMAIL_CAPABILITY}] Logged in\r\n"
            ))
        );
        // Gmail keeps the server's mechanisms so that LOGIN and AUTHENTICATE go on working.
        assert_eq!(
            resp(Gmail, &greeting).as_deref(),
            Some(&*format!(
                "* OK [CAPABILITY {GMAIL_CAPABILITY} AUTH=PLAIN AUTH=LOGIN] Gimap ready for \
                 requests from 127.0.0.1\r\n"
            ))
        );
        assert!(!GMAIL_CAPABILITY.contains("QRESYNC"));
        // Other response codes and plain status lines pass.
        for line in [
            "a2 OK [READ-WRITE] Select completed.\r\n",
            "* OK [UIDVALIDITY 5] UIDs valid\r\n",
            "a3 NO Mailbox doesn't exist: x\r\n",
            "+ idling\r\n",
        ] {
            assert_eq!(resp(Microsoft365, line).as_deref(), Some(line));
            assert_eq!(resp(Gmail, line).as_deref(), Some(line));
        }
    }

    #[test]
    fn microsoft365_shows_no_keyword_and_no_modseq_on_select() {
        let flags = "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft tanto-wip)\r\n";
        assert_eq!(
            resp(Microsoft365, flags).as_deref(),
            Some("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)\r\n")
        );
        let perm = "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \
                    tanto-wip \\*)] Flags permitted.\r\n";
        assert_eq!(
            resp(Microsoft365, perm).as_deref(),
            Some(
                "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft \
                 $MDNSent)] Flags permitted.\r\n"
            )
        );
        let read_only = "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n";
        assert_eq!(resp(Microsoft365, read_only).as_deref(), Some(read_only));
        assert_eq!(
            resp(Microsoft365, "* OK [HIGHESTMODSEQ 7] Highest\r\n"),
            None
        );
        assert_eq!(resp(Microsoft365, "* OK [NOMODSEQ] No modseqs\r\n"), None);
        assert_eq!(
            resp(Microsoft365, "a1 OK [HIGHESTMODSEQ 7] Done\r\n").as_deref(),
            Some("a1 OK Done\r\n")
        );
        // Gmail keeps keywords, `\*` and modseqs as they are.
        for line in [flags, perm, "* OK [HIGHESTMODSEQ 7] Highest\r\n"] {
            assert_eq!(resp(Gmail, line).as_deref(), Some(line));
        }
    }

    #[test]
    fn microsoft365_fetch_responses_lose_modseq_and_keywords_but_not_literal_bytes() {
        assert_eq!(
            resp(
                Microsoft365,
                "* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen tanto-wip $MDNSent))\r\n"
            )
            .as_deref(),
            Some("* 1 FETCH (UID 5 FLAGS (\\Seen $MDNSent))\r\n")
        );
        assert_eq!(
            resp(Microsoft365, "* 1 FETCH (MODSEQ (12) UID 5)\r\n").as_deref(),
            Some("* 1 FETCH (UID 5)\r\n")
        );
        // Nothing left: no response at all.
        assert_eq!(resp(Microsoft365, "* 1 FETCH (MODSEQ (12))\r\n"), None);
        // A literal that looks like what is rewritten stays byte for byte, and the text
        // after it is still rewritten.
        let body = "MODSEQ (3) FLAGS (kw)\r\n) MODSEQ (9)";
        let wire = format!(
            "* 2 FETCH (UID 6 BODY[HEADER.FIELDS (MODSEQ)] {{{n}}}\r\n{body} MODSEQ (4) \
             FLAGS (kw \\Seen))\r\n",
            n = body.len()
        );
        assert_eq!(
            resp(Microsoft365, &wire).as_deref(),
            Some(&*format!(
                "* 2 FETCH (UID 6 BODY[HEADER.FIELDS (MODSEQ)] {{{n}}}\r\n{body} FLAGS \
                 (\\Seen))\r\n",
                n = body.len()
            ))
        );
        // A quoted string is a value, never an item.
        let env = "* 3 FETCH (ENVELOPE (NIL \"MODSEQ (1) FLAGS (x)\" NIL) UID 7)\r\n";
        assert_eq!(resp(Microsoft365, env).as_deref(), Some(env));
        assert_eq!(
            resp(Gmail, "* 1 FETCH (MODSEQ (12))\r\n").as_deref(),
            Some("* 1 FETCH (MODSEQ (12))\r\n")
        );
    }

    #[test]
    fn microsoft365_refuses_keyword_stores_and_condstore_syntax() {
        for store in [
            "a1 UID STORE 5 +FLAGS (tanto-wip)\r\n",
            "a1 UID STORE 5 +FLAGS.SILENT (\\Seen tanto-by-alice)\r\n",
            "a1 STORE 1 FLAGS (\\Seen tanto-wip)\r\n",
            "a1 STORE 1 -FLAGS tanto-wip\r\n",
            "a1 uid store 5 +flags ($Forwarded)\r\n",
        ] {
            assert_eq!(
                answer(Microsoft365.on_command(store.as_bytes())),
                "a1 NO Command failed.\r\n",
                "{store}"
            );
        }
        for ok in [
            "a1 UID STORE 5 +FLAGS (\\Seen \\Flagged)\r\n",
            "a1 STORE 1:* FLAGS.SILENT ($MDNSent \\Deleted)\r\n",
            "a1 UID STORE 5 -FLAGS \\Seen\r\n",
        ] {
            assert_eq!(
                Microsoft365.on_command(ok.as_bytes()),
                Verdict::Forward,
                "{ok}"
            );
        }
        for bad in [
            "a2 UID STORE 5 (UNCHANGEDSINCE 12) +FLAGS (\\Seen)\r\n",
            "a2 SELECT INBOX (CONDSTORE)\r\n",
            "a2 EXAMINE \"INBOX\" (QRESYNC (1 2))\r\n",
            "a2 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4)\r\n",
            "a2 FETCH 1 (UID MODSEQ)\r\n",
            "a2 UID SEARCH MODSEQ 5\r\n",
            "a2 UID SEARCH KEYWORD tanto-wip\r\n",
            "a2 SEARCH RETURN (COUNT) ALL\r\n",
            "a2 STATUS INBOX (MESSAGES HIGHESTMODSEQ)\r\n",
            "a2 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n",
        ] {
            assert_eq!(
                answer(Microsoft365.on_command(bad.as_bytes())),
                "a2 BAD Command Argument Error. 11\r\n",
                "{bad}"
            );
        }
        for unknown in [
            "a3 ENABLE QRESYNC\r\n",
            "a3 NOTIFY SET (selected (MessageNew))\r\n",
            "a3 MYRIGHTS INBOX\r\n",
        ] {
            assert_eq!(
                answer(Microsoft365.on_command(unknown.as_bytes())),
                "a3 BAD Command Error. 10\r\n"
            );
        }
        for fine in [
            "a4 LOGIN support secret\r\n",
            "a4 SELECT INBOX\r\n",
            "a4 SELECT \"(CONDSTORE)\"\r\n",
            "a4 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MODSEQ)])\r\n",
            "a4 UID SEARCH SUBJECT keyword HEADER Message-ID \"<x@y>\"\r\n",
            "a4 IDLE\r\n",
            "DONE\r\n",
            "a4 UID MOVE 5 Archive\r\n",
        ] {
            assert_eq!(
                Microsoft365.on_command(fine.as_bytes()),
                Verdict::Forward,
                "{fine}"
            );
        }
    }

    #[test]
    fn microsoft365_drops_keywords_from_appends_and_their_continuations() {
        assert_eq!(
            rewritten(Microsoft365.on_command(b"a1 APPEND INBOX (\\Seen tanto-wip) {310}\r\n")),
            "a1 APPEND INBOX (\\Seen) {310}\r\n"
        );
        assert_eq!(
            rewritten(
                Microsoft365.on_command(
                    b"a1 APPEND \"a (b) c\" (kw) \"01-Jan-2024 08:00:00 +0000\" {3+}\r\n"
                )
            ),
            "a1 APPEND \"a (b) c\" () \"01-Jan-2024 08:00:00 +0000\" {3+}\r\n"
        );
        assert_eq!(
            Microsoft365.on_command(b"a1 APPEND INBOX (\\Seen) {3}\r\n"),
            Verdict::Forward
        );
        assert_eq!(
            Microsoft365.on_command(b"a1 APPEND INBOX {3}\r\n"),
            Verdict::Forward
        );
        // MULTIAPPEND, and a mailbox sent as a literal: the flags come on the next line.
        assert_eq!(
            Microsoft365
                .on_continuation("APPEND", b" (tanto-wip \\Draft) {5+}\r\n")
                .map(|l| String::from_utf8(l).expect("utf-8")),
            Some(" (\\Draft) {5+}\r\n".to_string())
        );
        assert_eq!(Microsoft365.on_continuation("APPEND", b"\r\n"), None);
        assert_eq!(Gmail.on_continuation("APPEND", b" (kw) {5}\r\n"), None);
        assert_eq!(
            Gmail.on_command(b"a1 APPEND INBOX (kw) {3}\r\n"),
            Verdict::Forward
        );
    }

    #[test]
    fn gmail_takes_keywords_and_condstore_but_not_qresync() {
        for fine in [
            "a1 UID STORE 5 (UNCHANGEDSINCE 12) +FLAGS (tanto-wip)\r\n",
            "a1 SELECT INBOX (CONDSTORE)\r\n",
            "a1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4)\r\n",
            "a1 ENABLE CONDSTORE\r\n",
            "a1 UID SEARCH KEYWORD tanto-wip\r\n",
            "a1 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n",
        ] {
            assert_eq!(
                Gmail.on_command(fine.as_bytes()),
                Verdict::Forward,
                "{fine}"
            );
        }
        assert_eq!(
            answer(Gmail.on_command(b"a2 SELECT INBOX (QRESYNC (1 2))\r\n")),
            "a2 BAD Could not parse command\r\n"
        );
        assert_eq!(
            answer(Gmail.on_command(b"a2 UID FETCH 1:* FLAGS (CHANGEDSINCE 4 VANISHED)\r\n")),
            "a2 BAD Could not parse command\r\n"
        );
        assert_eq!(
            answer(Gmail.on_command(b"a3 ENABLE QRESYNC\r\n")),
            "* ENABLED\r\na3 OK Success\r\n"
        );
        assert_eq!(
            rewritten(Gmail.on_command(b"a3 ENABLE QRESYNC CONDSTORE\r\n")),
            "a3 ENABLE CONDSTORE\r\n"
        );
        assert_eq!(
            resp(Gmail, "* ENABLED CONDSTORE QRESYNC\r\n").as_deref(),
            Some("* ENABLED CONDSTORE\r\n")
        );
        assert_eq!(
            answer(Gmail.on_command(b"a4 NOTIFY SET (selected (MessageNew))\r\n")),
            "a4 BAD Unknown command\r\n"
        );
    }
}
