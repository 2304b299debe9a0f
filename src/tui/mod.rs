//! The terminal UI (`tanto` with no subcommand). One loop over one `Msg` enum: keys and
//! resizes from the terminal, the in-process watcher's notices, worker answers and a tick.
//! `update` turns each into state changes and `Command`s, the workers run those, and the
//! screen is redrawn only when the state says it changed.

pub mod cells;
pub mod keymap;
pub mod message_check;
pub mod state;
mod trace;
pub mod update;
pub(crate) mod views;
pub mod worker;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{select, Receiver, Sender};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyEventKind, MouseButton, MouseEventKind};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::Terminal;

use keymap::Keymap;
use state::State;
use tanto_app::watch::Watcher;
use tanto_app::{Ctx, Notifier};
use update::{update, Command, Msg, Reply};
use worker::Workers;

type Term = Terminal<CrosstermBackend<std::io::Stdout>>;

/// Runs the TUI until the user quits (or the session ends); returns the exit code.
pub fn run(ctx: Ctx) -> anyhow::Result<u8> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(tanto_core::said!("error.tui.no_terminal"));
    }
    let (tx, rx) = crossbeam_channel::unbounded::<Msg>();
    let notices = tx.clone();
    let (progress_tx, progress) = crossbeam_channel::unbounded();
    // Actions run on sessions kept logged in and selected: a claim costs its own round
    // trips, not a login's.
    let ctx = ctx
        .with_notifier(Notifier::new(move |n| {
            let _ = notices.send(Msg::Notice(n.clone()));
        }))
        .with_progress(tanto_app::sync::ProgressSink::new(move |p| {
            let _ = progress_tx.send(p);
        }))
        .keep_sessions_warm();
    ctx.warm_up();
    let mut state = initial_state(&ctx);
    let workers = Workers::spawn(ctx.clone(), tx.clone());
    let watcher = Watcher::spawn(ctx.clone());
    forward(watcher.events.clone(), tx.clone(), Msg::Watch);
    spawn_ticks(tx.clone());
    let signals = spawn_signals()?;

    install_panic_hook();
    MOUSE.store(ctx.config.agent.mouse, Ordering::SeqCst);
    let mut term = enter().map_err(|e| tanto_core::said!("error.tui.setup").because(e))?;
    spawn_input(tx.clone());
    let size = term.size().unwrap_or_default();
    let mut pending = update(
        &mut state,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    pending.push(Command::LoadAgents);
    let result = event_loop(
        &ctx,
        &mut state,
        &mut term,
        &workers,
        Inputs {
            rx: &rx,
            signals: &signals,
            progress: &progress,
        },
        pending,
    );
    // Whatever ended the loop: nobody is viewing anything any more.
    if let Some(r) = &state.reader {
        tanto_app::presence::announce(&ctx, &r.mailbox, &r.id, None);
    }
    leave();
    // ratatui's Drop shows the cursor again and, when that fails (the terminal hung up),
    // prints to the gone terminal, which panics; `leave` has already restored it.
    std::mem::forget(term);
    drop(watcher);
    // Last, just before the process ends: a sync cut off here writes nothing after it.
    tanto_app::sync::release_on_exit(&ctx);
    result.map(|()| 0)
}

fn initial_state(ctx: &Ctx) -> State {
    let mailboxes = ctx
        .config
        .mailboxes
        .iter()
        .map(|m| m.name.clone())
        .collect();
    let now = tanto_core::clock::now();
    let mut s = State::new(
        &ctx.config.agent.id,
        mailboxes,
        Keymap::new(&ctx.config.keys),
        now,
    );
    // https://no-color.org: any non-empty value turns colour off.
    s.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    s.utc_offset = chrono::Local::now().offset().local_minus_utc();
    s.team_zone = ctx
        .config
        .business_hours
        .as_ref()
        .map(|h| tanto_core::later::Zone::Named(h.zone));
    s.team_agents = ctx.config.team.agents.clone();
    s.away = tanto_app::assignment::is_away(ctx).unwrap_or(false);
    s.reply_target = ctx.config.reply_target.clone();
    s.external_editor = editor(ctx).is_some();
    s.undo_seconds = i64::try_from(ctx.config.team.undo_seconds).unwrap_or(i64::MAX);
    s.status.info = ctx.config.warnings.first().map(crate::i18n::config_warning);
    s
}

/// What the loop waits on: messages for `update`, the signals that end it, and a long
/// sync's progress (shown as it comes, without a round through `update`).
struct Inputs<'a> {
    rx: &'a Receiver<Msg>,
    signals: &'a Receiver<()>,
    progress: &'a Receiver<tanto_app::sync::SyncProgress>,
}

fn event_loop(
    ctx: &Ctx,
    state: &mut State,
    term: &mut Term,
    workers: &Workers,
    inputs: Inputs<'_>,
    mut pending: Vec<Command>,
) -> anyhow::Result<()> {
    let Inputs {
        rx,
        signals,
        progress,
    } = inputs;
    let mut trace = trace::FrameTrace::from_env();
    loop {
        for cmd in pending.drain(..) {
            match cmd {
                Command::EditNote { id } => {
                    let text = edit_note(ctx, term);
                    let more = update(state, Msg::Worker(Reply::NoteEdited { id, text }));
                    for c in more {
                        workers.run(c);
                    }
                }
                Command::EditReply { id } => {
                    let Some(c) = state.compose.clone().filter(|c| c.id == id) else {
                        continue;
                    };
                    // "alice is replying" stays fresh for the team while the editor is open.
                    let beat = Heartbeat::start(ctx, &c.mailbox, &c.id, "replying");
                    let text = edit_text(ctx, term, "tanto-reply-", &c.text)
                        .and_then(|t| t.ok_or_else(|| "the draft is empty".to_string()));
                    drop(beat);
                    let more = update(state, Msg::Worker(Reply::ReplyEdited { id, text }));
                    for c in more {
                        workers.run(c);
                    }
                }
                // On the way out the presence is cleared by `run`, after the loop.
                Command::Leave { .. } if state.quit => {}
                other => workers.run(other),
            }
        }
        if state.quit {
            return Ok(());
        }
        let complete = state.list.answered == state.list.req && state.list.req > 0;
        if complete && trace.as_ref().is_some_and(|t| t.waiting()) {
            state.dirty = true; // an unchanged list still ends the traced key
        }
        if std::mem::take(&mut state.input.redraw) {
            // Ctrl-L: whatever else wrote to the terminal goes, every cell is drawn anew.
            term.clear()?;
            state.dirty = true;
        }
        if state.dirty {
            term.draw(|f| views::draw(state, f))?;
            state.dirty = false;
            if let Some(t) = &mut trace {
                t.drawn(complete);
            }
        }
        let msg = select! {
            recv(rx) -> m => match m {
                Ok(m) => m,
                Err(_) => return Ok(()),
            },
            recv(signals) -> _ => {
                state.quit = true;
                continue;
            }
            recv(progress) -> p => {
                if let Ok(p) = p {
                    state.status.progress = Some(p);
                    state.dirty = true;
                }
                continue;
            }
        };
        if matches!(msg, Msg::Watch(_)) {
            // The sync is over (done or failed): its progress with it. What it sent before
            // saying so is in the channel already, and must not show again.
            while progress.try_recv().is_ok() {}
            state.status.progress = None;
        }
        if let (Some(t), Msg::Key(_)) = (&mut trace, &msg) {
            t.key();
        }
        pending = update(state, msg);
        // Take what else is waiting before drawing: a burst costs one frame.
        for _ in 0..64 {
            match rx.try_recv() {
                Ok(m) => pending.extend(update(state, m)),
                Err(_) => break,
            }
        }
        let _ = ctx;
    }
}

fn forward<T: Send + 'static>(from: Receiver<T>, to: Sender<Msg>, wrap: fn(T) -> Msg) {
    std::thread::spawn(move || {
        for m in from.iter() {
            if to.send(wrap(m)).is_err() {
                return;
            }
        }
    });
}

fn spawn_ticks(tx: Sender<Msg>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        if tx
            .send(Msg::Tick {
                now: tanto_core::clock::now(),
            })
            .is_err()
        {
            return;
        }
    });
}

/// SIGHUP (the ssh session is gone), SIGTERM and SIGINT end the loop cleanly.
fn spawn_signals() -> anyhow::Result<Receiver<()>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGTERM, SIGINT])
        .map_err(|e| tanto_core::said!("error.signal_handler").because(e))?;
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = tx.send(());
        }
    });
    Ok(rx)
}

/// The config's `agent.mouse`: the mouse is captured while the TUI owns the terminal.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Raised while an external editor owns the terminal: the input thread keeps off stdin.
static INPUT_PAUSED: AtomicBool = AtomicBool::new(false);

/// Reads the terminal on its own thread, so the loop never waits on it.
fn spawn_input(tx: Sender<Msg>) {
    std::thread::spawn(move || loop {
        if INPUT_PAUSED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        match event::poll(Duration::from_millis(100)) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => return,
        }
        let msg = match event::read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
            Ok(Event::Resize(width, height)) => Msg::Resize { width, height },
            Ok(Event::Mouse(m)) => match m.kind {
                MouseEventKind::ScrollUp => Msg::Mouse(update::Mouse::ScrollUp),
                MouseEventKind::ScrollDown => Msg::Mouse(update::Mouse::ScrollDown),
                MouseEventKind::Down(MouseButton::Left) => Msg::Mouse(update::Mouse::Click {
                    column: m.column,
                    row: m.row,
                }),
                _ => continue,
            },
            Ok(_) => continue,
            // The terminal is gone (a hang-up): the signal handler ends the loop.
            Err(_) => return,
        };
        if tx.send(msg).is_err() {
            return;
        }
    });
}

fn enter() -> anyhow::Result<Term> {
    take_screen()?;
    Ok(Terminal::new(CrosstermBackend::new(std::io::stdout()))?)
}

/// Raw mode, the alternate screen, no cursor, and the mouse when asked for: at start and
/// after an editor gave the terminal back.
fn take_screen() -> anyhow::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    )?;
    if MOUSE.load(Ordering::SeqCst) {
        execute!(std::io::stdout(), event::EnableMouseCapture)?;
    }
    Ok(())
}

/// Gives the terminal back as it was (errors ignored: after a hang-up there is no terminal).
fn leave() {
    let _ = terminal::disable_raw_mode();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(std::io::stdout(), event::DisableMouseCapture);
    }
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = std::io::stdout().flush();
}

/// A panic restores the terminal first, then says what happened in one line.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        leave();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        // Not eprintln: a panic in the hook (stderr gone with the terminal) aborts the
        // process, and nothing it started (a demo's server) is stopped.
        let _ = writeln!(
            std::io::stderr(),
            "tanto: internal error: {}{at}; please report it",
            tanto_mail::sanitize::single_line(&what)
        );
    }));
}

/// Config `agent.editor`, else $VISUAL, else $EDITOR, when set.
fn editor(ctx: &Ctx) -> Option<String> {
    ctx.config
        .agent
        .editor
        .clone()
        .into_iter()
        .chain(
            ["VISUAL", "EDITOR"]
                .iter()
                .filter_map(|v| std::env::var(v).ok()),
        )
        .find(|e| !e.trim().is_empty())
}

/// Renews a presence every few seconds on its own thread until dropped, then clears it.
struct Heartbeat {
    stop: Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(ctx: &Ctx, mailbox: &str, id: &str, kind: &str) -> Heartbeat {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let (ctx, mailbox, id, kind) = (
            ctx.clone(),
            mailbox.to_string(),
            id.to_string(),
            kind.to_string(),
        );
        let thread = std::thread::spawn(move || {
            let doing = tanto_core::presence::Doing::parse(&kind);
            loop {
                tanto_app::presence::announce(&ctx, &mailbox, &id, doing);
                // The presence lasts 30 s: renewed well before it lapses.
                match stopped.recv_timeout(Duration::from_secs(10)) {
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
            tanto_app::presence::announce(&ctx, &mailbox, &id, None);
        });
        Heartbeat {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        // Cleared before anything else sets this presence again.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn edit_note(ctx: &Ctx, term: &mut Term) -> Result<Option<String>, String> {
    edit_text(ctx, term, "tanto-note-", "")
        .map(|t| t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()))
}

/// Suspends the screen, lets the user edit `initial` in their editor, and comes back with
/// what was saved (`None` when left empty).
fn edit_text(
    ctx: &Ctx,
    term: &mut Term,
    prefix: &str,
    initial: &str,
) -> Result<Option<String>, String> {
    let Some(editor) = editor(ctx) else {
        return Err("no editor: set agent.editor in the config, or $VISUAL or $EDITOR".into());
    };
    let file = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".txt")
        .tempfile()
        .map_err(|e| format!("cannot create the file to edit: {e}"))?;
    let path = file.path().to_path_buf();
    std::fs::write(&path, initial).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    INPUT_PAUSED.store(true, Ordering::SeqCst);
    // Let a poll under way finish before the editor reads the keys.
    std::thread::sleep(Duration::from_millis(120));
    leave();
    // The editor may be "code -w" or "vim -u NONE": the shell splits it.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("tanto")
        .arg(&path)
        .status();
    let _ = resume(term);
    INPUT_PAUSED.store(false, Ordering::SeqCst);
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(format!("the editor exited with {s}; nothing was sent")),
        Err(e) => return Err(format!("cannot run the editor {editor:?}: {e}")),
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read what was written: {e}"))?;
    Ok(Some(text).filter(|t| !t.trim().is_empty()))
}

/// Takes the terminal back after an editor.
fn resume(term: &mut Term) -> anyhow::Result<()> {
    take_screen()?;
    term.clear()?;
    Ok(())
}
