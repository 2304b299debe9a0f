//! Each view drawn on a `TestBackend` and compared with its snapshot.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::tui::keymap::Keymap;
use crate::tui::state::{Link, Overlay, Reader, Screen, State, Window};
use tanto_app::conversations::{ConversationView, Entry, EntryKind, Presence};
use tanto_core::event::EventKind;
use tanto_core::model::{Address, Attachment};
use tanto_core::status::Status;
use tanto_mail::cache::{ConversationRow, StatusCounts, WindowRow};

pub(crate) const NOW: i64 = 1_700_000_000;

pub(crate) fn conv(
    id: &str,
    subject: &str,
    customer: &str,
    status: Status,
    assignee: Option<&str>,
    ago: i64,
) -> WindowRow {
    WindowRow {
        conversation: ConversationRow {
            mailbox: "support".into(),
            id: id.into(),
            subject: subject.into(),
            customer: customer.into(),
            customer_name: None,
            status,
            assignee: assignee.map(String::from),
            previous_assignee: None,
            messages: 2,
            last_received: NOW - ago,
        },
        present: None,
        unread: false,
        mentioned: false,
        waiting: None,
        tags: Vec::new(),
    }
}

pub(crate) fn state(rows: Vec<WindowRow>) -> State {
    let mut s = State::new("alice", vec!["support".into()], Keymap::new(&[]), NOW);
    s.list.counts = StatusCounts {
        new: rows.len() as u64,
        wip: 3,
        done: 120,
        noise: 7,
        mine: 1,
        ..StatusCounts::default()
    };
    s.link = Link::Connected;
    s.list.window = Window {
        offset: 0,
        total: rows.len(),
        rows,
    };
    s.list.height = 21;
    s
}

pub(crate) fn render(s: &State, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| super::draw(s, f)).expect("draw");
    let buf = term.backend().buffer().clone();
    // Rows as text; a wide character's second cell is skipped so columns read as on screen.
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            // As the terminal is told: a cell's width is the one the diff sends it with.
            skip =
                usize::from(ratatui::buffer::CellWidth::cell_width(&buf[(x, y)])).saturating_sub(1);
            out.push_str(sym);
        }
        out.push_str("|\n");
    }
    out
}

fn sample_rows() -> Vec<WindowRow> {
    let mut held = conv(
        "b2c3d4e5",
        "Refund for order 1234",
        "dan@shop.example",
        Status::Wip,
        Some("bob"),
        7200,
    );
    held.present = Some("bob".into());
    vec![
        conv(
            "a1b2c3d4",
            "Cannot log in since yesterday",
            "carol@example.com",
            Status::New,
            None,
            300,
        ),
        held,
        conv(
            "c3d4e5f6",
            "A very long subject line that cannot possibly fit in the space of the column",
            "someone.with.a.long.address@example.org",
            Status::New,
            None,
            3 * 86400,
        ),
    ]
}

#[test]
fn the_list_with_tabs_and_counts() {
    let s = state(sample_rows());
    insta::assert_snapshot!(render(&s, 80, 10));
}

#[test]
fn japanese_subjects_and_names_stay_aligned_at_80_columns() {
    let rows = vec![
        conv(
            "d1",
            "請求書の再発行をお願いします（至急）長い件名がここに続きます",
            "山田太郎 <taro@example.jp>",
            Status::New,
            None,
            600,
        ),
        conv(
            "d2",
            "Re: 配送について",
            "佐藤花子",
            Status::Wip,
            Some("bob"),
            4000,
        ),
        conv(
            "d3",
            "ASCII only subject",
            "mixed 名前 name",
            Status::New,
            None,
            90000,
        ),
        conv(
            "d4",
            "半角ｶﾀｶﾅと全角カタカナ",
            "ｶﾀｶﾅ",
            Status::New,
            Some("alice"),
            40,
        ),
    ];
    let s = state(rows);
    let out = render(&s, 80, 8);
    // Every row is exactly 80 columns wide, and the message counts line up.
    for line in out.lines() {
        let body = line.trim_end_matches('|');
        assert_eq!(unicode_width::UnicodeWidthStr::width(body), 80, "{line}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn the_japanese_ui_shows_its_tabs_and_columns_at_80_columns() {
    use crate::i18n::{with_lang, Lang};
    let out = with_lang(Lang::Ja, || {
        let mut s = state(sample_rows());
        s.keymap = Keymap::new(&[]);
        render(&s, 80, 10)
    });
    assert!(
        out.contains("新着") && out.contains("対応中") && out.contains("対応完了"),
        "{out}"
    );
    for line in out.lines() {
        let body = line.trim_end_matches('|');
        assert_eq!(unicode_width::UnicodeWidthStr::width(body), 80, "{line}");
    }
    insta::assert_snapshot!(out);
    let help = with_lang(Lang::Ja, || {
        let mut s = state(sample_rows());
        s.keymap = Keymap::new(&[]);
        s.overlay = Some(Overlay::Help { scroll: 0 });
        render(&s, 80, 24)
    });
    assert!(help.contains("担当する"), "{help}");
}

#[test]
fn an_error_in_the_status_bar_keeps_the_layout() {
    let mut s = state(sample_rows());
    s.link = Link::Retrying {
        since: NOW - 100,
        retry_at: NOW + 4,
        reason: "connection refused".into(),
    };
    s.status.error = Some("a1b2c3d4: bob holds it (claimed 5m ago); take it over with C if you may, and this message is much longer than the screen".into());
    insta::assert_snapshot!(render(&s, 80, 8));
}

/// Off duty shows in the status bar for as long as it lasts, in the user's language.
#[test]
fn an_agent_away_sees_it_in_the_status_bar() {
    let mut s = state(sample_rows());
    let bar = |s: &State| {
        let screen = render(s, 100, 8);
        screen.lines().last().unwrap_or_default().to_string()
    };
    assert!(!bar(&s).contains("[away]"), "{}", bar(&s));
    s.away = true;
    assert!(bar(&s).contains("[away]"), "{}", bar(&s));
}

pub(crate) fn sample_view() -> ConversationView {
    let carol = Address {
        name: Some("Carol Customer".into()),
        email: "carol@example.com".into(),
    };
    let support = Address {
        name: None,
        email: "support@example.com".into(),
    };
    let mail = |kind, at, from: &Address, to: &Address, text: &str, attachments| Entry {
        kind,
        at,
        event: None,
        agent: None,
        owner: None,
        from: Some(from.clone()),
        to: vec![to.clone()],
        cc: Vec::new(),
        subject: "Cannot log in".into(),
        message_id: None,
        text: text.into(),
        attachments,
        noise: None,
        has_body: true,
    };
    let event = |kind: EventKind, at, agent: &str, text: &str| Entry {
        kind: if kind == EventKind::Note {
            EntryKind::Note
        } else {
            EntryKind::Event
        },
        at,
        event: Some(kind.clone()),
        agent: Some(agent.into()),
        owner: None,
        from: None,
        to: Vec::new(),
        cc: Vec::new(),
        subject: if kind == EventKind::Note {
            String::new()
        } else {
            text.into()
        },
        message_id: None,
        text: text.into(),
        attachments: Vec::new(),
        noise: None,
        has_body: true,
    };
    ConversationView {
        conversation: conv(
            "a1b2c3d4",
            "Cannot log in",
            "carol@example.com",
            Status::Wip,
            Some("alice"),
            300,
        )
        .conversation,
        presence: vec![Presence {
            agent: "bob".into(),
            kind: "viewing".into(),
        }],
        timeline: vec![
            mail(
                EntryKind::Inbound,
                NOW - 3600,
                &carol,
                &support,
                "Hello,\nI cannot log in since yesterday.\nCarol",
                vec![Attachment {
                    name: "screenshot.png".into(),
                    mime_type: "image/png".into(),
                    size: 48_213,
                }],
            ),
            event(EventKind::Claim, NOW - 3000, "alice", "alice claimed it"),
            event(
                EventKind::Note,
                NOW - 2900,
                "alice",
                "Her account was locked by the fraud filter.",
            ),
            mail(
                EntryKind::Reply,
                NOW - 2000,
                &support,
                &carol,
                "Hi Carol,\nit works again.",
                Vec::new(),
            ),
        ],
        fetch_error: None,
        outbox: Vec::new(),
        tags: Vec::new(),
    }
}

/// `s` on the reader, showing `view`.
pub(crate) fn open_reader(s: &mut State, id: &str, subject: &str, view: ConversationView) {
    s.screen = Screen::Reader;
    s.reader = Some(Reader {
        mailbox: "support".into(),
        id: id.into(),
        subject: subject.into(),
        view: Some(Box::new(view)),
        scroll: 0,
    });
}

#[test]
fn the_reader_shows_mail_notes_and_events() {
    let mut s = state(sample_rows());
    open_reader(&mut s, "a1b2c3d4", "Cannot log in", sample_view());
    insta::assert_snapshot!(render(&s, 80, 24));
}

#[test]
fn the_reader_shows_a_tag_put_through_the_log_in_english_and_japanese() {
    use crate::i18n::{with_lang, Lang};
    let mut view = sample_view();
    let mut tagged = view.timeline[1].clone();
    tagged.event = Some(EventKind::Tag);
    tagged.subject = "alice tagged it vip".into();
    tagged.text = tagged.subject.clone();
    view.timeline.push(tagged);
    let shown = |lang| {
        with_lang(lang, || {
            let mut s = state(sample_rows());
            open_reader(&mut s, "a1b2c3d4", "Cannot log in", view.clone());
            render(&s, 80, 30)
        })
    };
    let en = shown(Lang::En);
    assert!(en.contains("alice tagged it vip"), "{en}");
    let ja = shown(Lang::Ja);
    assert!(ja.contains("alice がタグを付けました"), "{ja}");
}

#[test]
fn the_help_is_generated_from_the_keymap() {
    let mut s = state(sample_rows());
    s.overlay = Some(Overlay::Help { scroll: 0 });
    insta::assert_snapshot!(render(&s, 80, 48));
}

#[test]
fn the_picker_and_the_command_line() {
    let mut s = state(sample_rows());
    s.overlay = Some(Overlay::Picker {
        agents: vec!["bob".into(), "carol".into(), "dave".into()],
        selected: 1,
    });
    insta::assert_snapshot!("picker", render(&s, 80, 10));
    s.overlay = Some(Overlay::CommandLine {
        text: "assign bob".into(),
        recall: None,
    });
    insta::assert_snapshot!("command_line", render(&s, 80, 10));
    s.overlay = Some(Overlay::NoteEditor {
        id: "a1".into(),
        text: "Called her back.".into(),
        subject: "Cannot log in".into(),
    });
    insta::assert_snapshot!("note_editor", render(&s, 80, 12));
}

fn composing(s: &mut State) {
    let row = sample_rows().remove(0).conversation;
    let draft = "To: Hanako <hanako@example.jp>\nSubject: Re: Cannot log in\n\nHello,\n";
    s.compose = Some(crate::tui::state::Compose {
        mailbox: row.mailbox.clone(),
        id: row.id.clone(),
        text: draft.into(),
        prepared: crate::tui::state::Draft(std::sync::Arc::new(
            tanto_app::reply::Prepared::for_tests(row, draft),
        )),
        displaced: false,
    });
}

#[test]
fn the_send_prompt_with_and_without_warnings() {
    let mut s = state(sample_rows());
    composing(&mut s);
    s.overlay = Some(Overlay::SendReply {
        warnings: Vec::new(),
        later: None,
    });
    insta::assert_snapshot!("send_prompt", render(&s, 80, 12));
    s.overlay = Some(Overlay::SendReply {
        warnings: vec![
            "arrived since you started: a message from hanako@example.jp (the customer): Re: Cannot log in".into(),
            "the text mentions an attachment, but none is attached".into(),
        ],
        later: None,
    });
    insta::assert_snapshot!("send_prompt_warnings", render(&s, 80, 12));
    s.overlay = Some(Overlay::SendReply {
        warnings: Vec::new(),
        later: Some("tomorrow 09:00".into()),
    });
    insta::assert_snapshot!("send_prompt_later", render(&s, 80, 12));
}

#[test]
fn the_undo_countdown_in_the_status_bar() {
    let mut s = state(sample_rows());
    s.undo = Some(crate::tui::state::Undo {
        mailbox: "support".into(),
        id: "a1b2c3d4".into(),
        message_id: "m@example.com".into(),
        due: NOW + 7,
        settling: false,
    });
    insta::assert_snapshot!(render(&s, 80, 6));
}

#[test]
fn the_approvals_view() {
    let mut s = state(sample_rows());
    s.screen = Screen::Approvals;
    s.approvals.rows = vec![
        tanto_app::reply_outbox::Awaiting {
            mailbox: "support".into(),
            conversation: "a1b2c3d4".into(),
            message_id: "tanto.a1@example.com".into(),
            author: "newbie".into(),
            subject: "Re: Cannot log in".into(),
            rcpt: vec!["hanako@example.jp".into()],
            text: "Dear Hanako,\n\nPlease reset your password here.\n\n-- \nSupport".into(),
        },
        tanto_app::reply_outbox::Awaiting {
            mailbox: "support".into(),
            conversation: "e5f6a7b8".into(),
            message_id: "tanto.e5@example.com".into(),
            author: "newbie".into(),
            subject: "Re: 請求書の再発行について".into(),
            rcpt: vec!["taro@example.jp".into()],
            text: "山田様\n\n再発行いたしました。".into(),
        },
    ];
    insta::assert_snapshot!(render(&s, 80, 16));
    let ja = crate::i18n::with_lang(crate::i18n::Lang::Ja, || render(&s, 80, 16));
    assert!(ja.contains("y 承認して送信 · x 差し戻し"), "{ja}");
}

/// The buffer's cells with their styles (ratatui's own dump), for colour checks.
fn render_styled(s: &State, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| super::draw(s, f)).expect("draw");
    format!("{:?}", term.backend().buffer())
}

#[test]
fn no_color_draws_without_a_single_colour() {
    let mut s = state(sample_rows());
    s.reply_target = Some(tanto_core::hours::ReplyTarget {
        secs: 3600,
        hours: None,
    });
    s.color = false;
    s.status.error = Some("imap.example.com: connection refused".into());
    let styled = render_styled(&s, 80, 8);
    for c in [
        "fg: Red",
        "fg: Yellow",
        "fg: Green",
        "bg: Blue",
        "fg: DarkGray",
    ] {
        assert!(!styled.contains(c), "{c} under NO_COLOR:\n{styled}");
    }
    insta::assert_snapshot!(styled);
    // With colour, the same screen has some (the check above can fail).
    s.color = true;
    assert!(render_styled(&s, 80, 8).contains("fg: Red"));
}

#[test]
fn two_mailboxes_show_a_mailbox_column() {
    let mut rows = sample_rows();
    rows[1].conversation.mailbox = "sales".into();
    let mut s = state(rows);
    s.mailboxes = vec!["support".into(), "sales".into()];
    insta::assert_snapshot!(render(&s, 80, 6));
}

// Wide characters: flags, ZWJ emoji, variation selectors and half-width kana, in both
// languages at the two usual terminal sizes.

fn wide_rows() -> Vec<WindowRow> {
    let mut rows = vec![
        conv(
            "w1",
            "🇯🇵 Flag ❤️ and 👍🏽 in a subject that goes on and on 👨‍👩‍👧‍👦 family 👩‍💻 until it is cut",
            "山田 花子",
            Status::New,
            None,
            300,
        ),
        conv(
            "w2",
            "請求書 ｻﾎﾟｰﾄ ｶﾞｲﾄﾞ 🏳️‍🌈",
            "ﾔﾏﾀﾞ ﾀﾛｳ 🇫🇷",
            Status::New,
            Some("bob"),
            4000,
        ),
        conv(
            "w3",
            "Plain ASCII subject",
            "bob@example.com",
            Status::New,
            Some("alice"),
            // Old mail: shown by its date.
            200 * 86400,
        ),
    ];
    rows[0].conversation.customer = "hanako@example.jp".into();
    rows[0].conversation.customer_name = Some("山田 花子".into());
    rows[1].conversation.customer = "taro@example.jp".into();
    rows[1].conversation.customer_name = Some("ﾔﾏﾀﾞ ﾀﾛｳ 🇫🇷".into());
    rows[1].present = Some("bob".into());
    rows
}

fn wide_view() -> ConversationView {
    let mut v = sample_view();
    v.conversation = wide_rows()[1].conversation.clone();
    let subject =
        "請求書の再発行と、ｻﾎﾟｰﾄｾﾝﾀｰへの問い合わせ方法について（至急）🇯🇵 長い件名が続きます";
    for e in &mut v.timeline {
        if e.kind == EntryKind::Inbound {
            e.subject = subject.into();
            e.from = Some(Address {
                name: Some("ﾔﾏﾀﾞ ﾀﾛｳ 👨‍👩‍👧".into()),
                email: "taro@example.jp".into(),
            });
            e.text = "お世話になっております。ｻﾎﾟｰﾄｾﾝﾀｰの件でご連絡しました。❤️ 👍🏽 🇯🇵 \
                      この行はとても長いので、画面の幅で折り返されますが、折り返した行も枠の中に残ります。\n\
                      ｶﾞｲﾄﾞ ﾊﾟｽﾜｰﾄﾞ ｻﾎﾟｰﾄ\n山田"
                .into();
        }
    }
    v
}

/// The list, the reader, the help and the picker over the list, drawn at `w` x `h`.
fn wide_screens(w: u16, h: u16) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut s = state(wide_rows());
    s.keymap = Keymap::new(&[]);
    out.push(("list", render(&s, w, h)));
    s.overlay = Some(Overlay::Picker {
        agents: vec!["bob".into(), "ｻﾎﾟｰﾄ 🇯🇵".into(), "carol".into()],
        selected: 1,
    });
    out.push(("picker", render(&s, w, h)));
    s.overlay = Some(Overlay::Help { scroll: 0 });
    out.push(("help", render(&s, w, h)));
    s.overlay = Some(Overlay::NoteEditor {
        id: "w2".into(),
        text: "ｻﾎﾟｰﾄに電話 🇯🇵 ❤️ 👨‍👩‍👧 done".into(),
        subject: "請求書 ｻﾎﾟｰﾄ ｶﾞｲﾄﾞ 🏳️‍🌈".into(),
    });
    out.push(("note", render(&s, w, h)));
    s.overlay = None;
    open_reader(&mut s, "w2", "請求書 ｻﾎﾟｰﾄ ｶﾞｲﾄﾞ 🏳️‍🌈", wide_view());
    out.push(("reader", render(&s, w, h)));
    out
}

#[test]
fn wide_characters_at_80x24_and_120x40_in_english_and_japanese() {
    use crate::i18n::{with_lang, Lang};
    // Any size draws, however small.
    for (w, h) in [(1, 1), (2, 2), (5, 3), (20, 6)] {
        with_lang(Lang::Ja, || wide_screens(w, h));
    }
    for (lang, name) in [(Lang::En, "en"), (Lang::Ja, "ja")] {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let screens = with_lang(lang, || wide_screens(w, h));
            for (what, out) in screens {
                // Every row fills the screen exactly: nothing pushed out or left short.
                for line in out.lines() {
                    let body = line.strip_suffix('|').unwrap_or(line);
                    assert_eq!(
                        crate::tui::cells::width(body),
                        usize::from(w),
                        "{name} {what} {w}x{h}: {line}\n{out}"
                    );
                }
                if what == "list" {
                    // The message counts sit under the end of the Msgs heading.
                    let heading = with_lang(lang, || crate::i18n::t("tui.col.messages"));
                    let lines: Vec<&str> = out.lines().collect();
                    let header = lines[1];
                    let end = crate::tui::cells::width(
                        &header[..header.find(heading).expect("heading") + heading.len()],
                    );
                    for row in &lines[2..5] {
                        let at = row.find(" 2 ").expect("count") + 2;
                        assert_eq!(crate::tui::cells::width(&row[..at]), end, "{row}\n{out}");
                    }
                }
                insta::assert_snapshot!(format!("wide_{name}_{what}_{w}x{h}"), out);
            }
        }
    }
}

#[test]
fn the_note_editor_draws_half_width_kana_whole_with_the_cursor_after_it() {
    let mut s = state(wide_rows());
    s.overlay = Some(Overlay::NoteEditor {
        id: "w2".into(),
        text: "ｻﾎﾟｰﾄに電話".into(),
        subject: "ｻﾎﾟｰﾄ".into(),
    });
    let mut term = Terminal::new(TestBackend::new(40, 12)).expect("terminal");
    term.draw(|f| super::draw(&s, f)).expect("draw");
    let buf = term.backend().buffer();
    // The editor's first row of text: the box's last 8 rows sit above the status bar.
    let y = 12 - 1 - 8 + 1;
    let cells: Vec<(&str, u16)> = (0..14)
        .map(|x| {
            let cell = &buf[(x, y)];
            (cell.symbol(), ratatui::buffer::CellWidth::cell_width(cell))
        })
        .collect();
    // Each voiced mark in a cell of its own, counted as one, right after its kana: no gap
    // inside the word (ratatui's Paragraph counted ﾎﾟ as three cells), and the cursor right
    // after 話.
    assert_eq!(
        cells,
        [
            ("│", 1),
            ("ｻ", 1),
            ("ﾎ", 1),
            ("ﾟ", 1),
            ("ｰ", 1),
            ("ﾄ", 1),
            ("に", 2),
            (" ", 1),
            ("電", 2),
            (" ", 1),
            ("話", 2),
            (" ", 1),
            ("█", 1),
            (" ", 1),
        ],
        "{cells:?}"
    );
}

#[test]
fn mail_text_in_the_reader_stays_behind_the_gutter_however_it_is_padded_or_wrapped() {
    let mut v = sample_view();
    let fake = "── Note mallory  2023-11-14 21:13";
    for e in &mut v.timeline {
        if e.kind == EntryKind::Inbound {
            // Padded to wrap so that the fake note would start a line of its own.
            e.subject = format!("Invoice{}{fake}", "\u{2800}".repeat(90));
            e.from = Some(Address {
                name: Some(format!("Carol{}{fake}", " ".repeat(80))),
                email: "carol@example.com".into(),
            });
            e.text = format!("fine{}{fake} approve the refund", " ".repeat(100));
        }
    }
    let mut s = state(sample_rows());
    open_reader(&mut s, "a1b2c3d4", "Cannot log in", v);
    // Down to a screen too narrow for anything: nothing panics.
    for w in [1, 2, 3, 5] {
        render(&s, w, 10);
    }
    for w in [40, 80, 120] {
        let out = render(&s, w, 40);
        let faked: Vec<&str> = out.lines().filter(|l| l.contains("mallory")).collect();
        assert!(faked.len() >= 3, "{out}");
        for l in faked {
            assert!(l.starts_with('│'), "outside the gutter at {w}: {l}\n{out}");
        }
    }
}

#[test]
fn a_long_japanese_subject_wraps_beside_its_label() {
    use crate::i18n::{with_lang, Lang};
    let out = with_lang(Lang::Ja, || {
        let mut s = state(wide_rows());
        open_reader(&mut s, "w2", "請求書", wide_view());
        render(&s, 80, 24)
    });
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("│ 件名: "))
        .expect("the subject line");
    assert!(lines[at].starts_with("│ 件名: 請求書の再発行"), "{out}");
    // The rest under the value, not under the label.
    assert!(lines[at + 1].starts_with("│       "), "{out}");
    assert!(lines[at + 1].contains("長い件名"), "{out}");
}

#[test]
fn the_status_bar_names_the_first_syncs_phase_and_counts() {
    use crate::i18n::{with_lang, Lang};
    use tanto_app::sync::SyncProgress;
    use tanto_mail::imap::sync::Progress;
    let mut s = state(Vec::new());
    s.link = Link::Connecting;
    s.status.progress = Some(SyncProgress {
        mailbox: "support".into(),
        folder: "INBOX".into(),
        progress: Progress::Fetching {
            done: 3400,
            total: 100_000,
        },
    });
    let bar = |s: &State, lang| {
        with_lang(lang, || render(s, 80, 4))
            .lines()
            .nth(3)
            .unwrap_or_default()
            .to_string()
    };
    let en = bar(&s, Lang::En);
    assert!(
        en.starts_with("syncing INBOX: 3,400 of 100,000 alice@support"),
        "{en}"
    );
    assert!(!en.contains("connecting"), "{en}");
    let ja = bar(&s, Lang::Ja);
    assert!(ja.starts_with("同期中 INBOX: 3,400 / 100,000 件"), "{ja}");
    s.status.progress = Some(SyncProgress {
        mailbox: "support".into(),
        folder: "INBOX".into(),
        progress: Progress::Threading { total: 100_000 },
    });
    let en = bar(&s, Lang::En);
    assert!(
        en.starts_with("sorting 100,000 messages into conversations"),
        "{en}"
    );
    s.status.progress = Some(SyncProgress {
        mailbox: "support".into(),
        folder: "INBOX".into(),
        progress: Progress::Waiting,
    });
    let en = bar(&s, Lang::En);
    assert!(
        en.starts_with("waiting for another tanto sharing this cache"),
        "{en}"
    );
    // Without a sync under way, the link's state as before.
    s.status.progress = None;
    assert!(bar(&s, Lang::En).starts_with("connecting"));
}

/// The foreground colour of the first cell of the row showing `subject`.
fn age_colour(s: &State, subject: &str) -> Option<ratatui::style::Color> {
    let mut term = Terminal::new(TestBackend::new(80, 8)).expect("terminal");
    term.draw(|f| super::draw(s, f)).expect("draw");
    let buf = term.backend().buffer().clone();
    (0..buf.area.height).find_map(|y| {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        line.contains(subject).then(|| buf[(0, y)].fg)
    })
}

#[test]
fn the_age_colours_by_business_time_when_the_team_has_hours() {
    use ratatui::style::Color;
    use tanto_core::hours::{
        parse_clock, parse_days, parse_zone, BusinessHours, Holidays, ReplyTarget,
    };
    let jst = |d: u32, h: u32, m: u32| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-12-{d:02}T{h:02}:{m:02}:00+09:00"))
            .expect("time")
            .timestamp()
    };
    // Friday 17:30, seen on Monday at 09:20: 50 business minutes of 60.
    let mut row = conv(
        "a1",
        "Friday evening",
        "c@example.com",
        Status::New,
        None,
        0,
    );
    row.conversation.last_received = jst(4, 17, 30);
    let mut s = state(vec![row]);
    s.now = jst(7, 9, 20);
    let hours = BusinessHours {
        days: parse_days("Mon-Fri").expect("days"),
        from: parse_clock("09:00").expect("from"),
        until: parse_clock("18:00").expect("until"),
        zone: parse_zone("Asia/Tokyo").expect("zone"),
        holidays: Holidays::Japan,
    };
    s.reply_target = Some(ReplyTarget {
        secs: 3600,
        hours: Some(hours),
    });
    assert_eq!(age_colour(&s, "Friday evening"), Some(Color::Yellow));
    s.now = jst(7, 9, 30);
    assert_eq!(age_colour(&s, "Friday evening"), Some(Color::Red));
    // In wall-clock time the same mail was past its target on Friday night.
    s.now = jst(7, 9, 20);
    s.reply_target = Some(ReplyTarget {
        secs: 3600,
        hours: None,
    });
    assert_eq!(age_colour(&s, "Friday evening"), Some(Color::Red));
}

#[test]
fn each_tab_shows_its_overdue_count_and_a_tab_with_none_nothing() {
    let mut s = state(sample_rows());
    s.list.counts.overdue = tanto_mail::cache::OverdueCounts {
        new: 2,
        wip: 0,
        mine: 1,
    };
    let screen = render(&s, 100, 4);
    let tabs = screen.lines().next().unwrap_or_default().to_string();
    assert!(tabs.contains(" 2 late │"), "{tabs}");
    assert!(tabs.contains(" 1 late │"), "{tabs}");
    assert_eq!(tabs.matches("late").count(), 2, "{tabs}");
    // The overdue part is red.
    assert!(render_styled(&s, 100, 4).contains("fg: Red"));
    let ja = crate::i18n::with_lang(crate::i18n::Lang::Ja, || render(&s, 100, 4));
    assert!(
        ja.lines().next().unwrap_or_default().contains("超過2"),
        "{ja}"
    );
}
