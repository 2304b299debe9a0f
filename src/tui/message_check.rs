//! Raw message bytes drawn by the reader, for the fuzzer (`fuzz/`, `bench/fuzz.sh`) and the
//! corpus test: whatever a mail holds, drawing it must not panic and no cell may carry a
//! character a terminal would act on.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::keymap::Keymap;
use super::state::{Reader, Screen, State};
use tanto_app::conversations::{mail_entry, ConversationView};
use tanto_core::model::Address;
use tanto_core::status::Status;
use tanto_mail::cache::{ConversationRow, MessageRow};

/// Draws `raw` as the only message of a conversation in the reader at `width` x `height`;
/// the screen's rows, or which cell holds a character that must never reach a terminal.
#[doc(hidden)]
pub fn draw_message(raw: &[u8], width: u16, height: u16) -> Result<Vec<String>, String> {
    let h = tanto_mail::mime::parse_headers(raw);
    let row = MessageRow {
        folder_id: 1,
        folder: "INBOX".into(),
        uid: 1,
        flags: Vec::new(),
        internal_date: 0,
        date: h.date,
        subject: h.subject.clone(),
        from: h.from.first().cloned().unwrap_or(Address {
            name: None,
            email: String::new(),
        }),
        to: h.to.clone(),
        cc: h.cc.clone(),
        message_id: h.message_id.clone(),
        inbound: true,
        noise: None,
    };
    let entry = mail_entry(&row, Some(raw));
    let view = ConversationView {
        conversation: ConversationRow {
            mailbox: "support".into(),
            id: "00000000".into(),
            subject: tanto_mail::sanitize::single_line(&h.subject),
            customer: entry
                .from
                .as_ref()
                .map(|a| a.email.clone())
                .unwrap_or_default(),
            customer_name: None,
            status: Status::New,
            assignee: None,
            previous_assignee: None,
            messages: 1,
            last_received: 0,
        },
        presence: Vec::new(),
        timeline: vec![entry],
        fetch_error: None,
        outbox: Vec::new(),
        tags: Vec::new(),
    };
    let mut s = State::new("alice", vec!["support".into()], Keymap::new(&[]), 0);
    s.screen = Screen::Reader;
    s.reader = Some(Reader {
        mailbox: "support".into(),
        id: "00000000".into(),
        subject: view.conversation.subject.clone(),
        view: Some(Box::new(view)),
        scroll: 0,
    });
    let mut term = Terminal::new(TestBackend::new(width, height)).map_err(|e| e.to_string())?;
    term.draw(|f| super::views::draw(&s, f))
        .map_err(|e| e.to_string())?;
    let buf = term.backend().buffer();
    let mut rows = Vec::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            let sym = buf[(x, y)].symbol();
            if let Some(c) = sym.chars().find(|c| acted_on(*c)) {
                return Err(format!("cell ({x}, {y}) holds U+{:04X}", c as u32));
            }
            line.push_str(sym);
        }
        rows.push(line);
    }
    Ok(rows)
}

/// Characters a terminal interprets or that reorder what follows: C0, DEL, C1 and the bidi
/// controls.
fn acted_on(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::draw_message;

    /// The whole corpus (real mail, damaged mail, every Japanese charset) and a few hand-made
    /// attacks: drawn at two sizes without a panic or a control character on screen.
    #[test]
    fn every_corpus_message_draws_without_control_characters() {
        let mut files = Vec::new();
        // The corpus, and what the fuzzer found (bench/fuzz.sh): each a regression test.
        let mut dirs = vec![
            std::path::PathBuf::from("tests/fixtures/corpus"),
            std::path::PathBuf::from("tests/fixtures/fuzz"),
        ];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("corpus dir").flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "eml") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 200, "the corpus is there: {}", files.len());
        let mut raws: Vec<Vec<u8>> = files
            .iter()
            .map(|p| std::fs::read(p).expect("read"))
            .collect();
        raws.push(b"Subject: \x1b]52;c;aGk=\x07hi\x1b[2J\r\nFrom: \xe2\x80\xaeevil <e@x>\r\n\r\nbody \x9b31m \x1bc".to_vec());
        raws.push(b"Subject: =?utf-8?b?G10yOzA=?=\r\n\r\n\x00\x07\x08".to_vec());
        for raw in &raws {
            for (w, h) in [(80, 24), (33, 9)] {
                if let Err(e) = draw_message(raw, w, h) {
                    panic!(
                        "{e} in {}",
                        String::from_utf8_lossy(&raw[..raw.len().min(200)])
                    );
                }
            }
        }
    }
}
