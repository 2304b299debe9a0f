//! The command line: one file per subcommand, all sharing `Ctx` for config, cache and server.

// First, so that its `outln!` (println that survives a closed stdout) reaches every file.
#[macro_use]
mod output;
pub mod approve;
pub mod cache_cmd;
pub mod completions;
pub mod coordinate;
pub mod demo;
pub mod doctor;
pub mod duty;
pub mod help;
pub mod history;
pub mod list;
pub mod login;
pub mod man;
pub mod outbox;
pub mod parse_error;
pub mod reply;
pub mod report;
pub mod rules;
pub mod save;
pub mod search;
pub mod show;
pub mod sync;
pub mod tag;
pub mod template;
pub mod waiting;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use tanto_app::Ctx;

use tanto_app::{Notice, Notifier};
use tanto_core::claims::Action;

/// Exit code for a lost race (someone else claimed first).
pub const EXIT_LOST_RACE: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "tanto",
    version,
    about = "A terminal shared-mailbox client for support teams",
    long_about = "A terminal shared-mailbox client for support teams. Every agent runs tanto; \
                  claims, statuses, assignees and notes are coordinated through the shared \
                  IMAP mailbox, so that no mail is missed and none is answered twice. With no \
                  command, tanto opens the terminal UI.",
    after_help = "Try it first: tanto demo (a local server with sample mail and a simulated teammate).",
    after_long_help = "Try it first: tanto demo (a local server with sample mail and a simulated teammate).\n\n\
Environment:\n  \
  TANTO_CONFIG        the config file, when --config is not given\n  \
  NO_COLOR            any value turns colour off in the terminal UI\n  \
  VISUAL, EDITOR      the editor for notes in the terminal UI\n  \
  TANTO_DEBUG=1       keep Rust's own report of an internal error\n\n\
Exit codes:\n  \
  0  success\n  \
  1  an error: one line on stderr says what to fix\n  \
  3  a lost race: someone else holds the conversation (the message names who)\n\n\
Conversation ids are stable across runs and agents; any unique prefix of 4 or more characters works."
)]
pub struct Cli {
    /// Config file (default: $TANTO_CONFIG, then the XDG config dir)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sync the shared mailbox into the cache (keeps watching unless --once)
    Sync(sync::Args),
    /// List conversations
    List(list::Args),
    /// Show one conversation: every message, decoded
    Show(show::Args),
    /// Search every conversation: subject, customer, assignee and opened mail
    Search(search::Args),
    /// Every conversation with one customer, most recent first
    History(history::Args),
    /// The desk's figures per agent: conversations handled, first-response and resolution times, replies, open and overdue
    Report(report::Args),
    /// Claim a conversation: it becomes yours, in progress (--take-over to take it from its holder)
    Claim(coordinate::ClaimArgs),
    /// Release your claim: the conversation is new again
    Release(coordinate::IdArgs),
    /// Assign a conversation to an agent
    Assign(coordinate::AssignArgs),
    /// Mark a conversation done
    Done(coordinate::IdArgs),
    /// Reopen a done (or noise) conversation
    Reopen(coordinate::IdArgs),
    /// Wait on the customer, saying for what: out of New and In progress until they write
    Wait(waiting::WaitArgs),
    /// Snooze until a time (+2h, 3d, "tomorrow 9:00", monday) or until the customer writes
    Snooze(waiting::SnoozeArgs),
    /// Wake a waiting or snoozed conversation now: back to New, to the agent it was with
    Wake(coordinate::IdArgs),
    /// Go off duty: automatic assignment gives you no new mail until `tanto back`
    Away(duty::Args),
    /// Back on duty: automatic assignment gives you new mail again
    Back(duty::Args),
    /// Add an internal note to a conversation
    Note(coordinate::NoteArgs),
    /// Merge a conversation into another (a customer's new mail without headers, a CC'd colleague's reply)
    Merge(coordinate::MergeArgs),
    /// Split a mail (and the replies to it) off into a conversation of its own
    Split(coordinate::SplitArgs),
    /// Reply to a conversation (claims it; exit 3 when someone else holds it)
    Reply(reply::Args),
    /// Approve a reply waiting for a supervisor, and send it
    Approve(approve::ApproveArgs),
    /// Reject a reply waiting for a supervisor, saying why
    Reject(approve::RejectArgs),
    /// Save a received attachment (all of them without --part) into a directory
    Save(save::Args),
    /// The outbox: what is queued, waiting for approval, rejected or send uncertain (resend, drop)
    Outbox(outbox::Args),
    /// Tag a conversation (tags show in the list; tanto list --tag NAME filters)
    Tag(tag::Args),
    /// Take a tag off a conversation
    Untag(tag::Args),
    /// The team's rules (team.rules in the config)
    Rules {
        #[command(subcommand)]
        command: rules::Command,
    },
    /// Shared reply templates
    Template {
        #[command(subcommand)]
        command: template::Command,
    },
    /// Check the server: login, and each capability tanto uses
    Doctor(doctor::Args),
    /// Sign in with OAuth2 (auth = "oauth2"): prints an address and a code to enter on any device
    Login(login::Args),
    /// Manage the local cache
    Cache {
        #[command(subcommand)]
        command: cache_cmd::Command,
    },
    /// Try tanto on a local demo server: sample mail, the terminal UI, a simulated teammate
    Demo(demo::Args),
    /// Print the shell completion script for bash, zsh or fish
    Completions(completions::Args),
    /// Print the manual page (roff), or write one page per command with --out DIR
    Man(man::Args),
}

/// Notices from the application layer, as lines on stderr.
fn stderr_notifier() -> Notifier {
    use crate::i18n::tf;
    Notifier::new(|n| match n {
        Notice::Retrying { what, reason, wait } => {
            let reason = crate::i18n::cause_text(reason);
            let secs = format!("{:.1}", wait.as_secs_f32());
            eprintln!(
                "tanto: {}",
                tf(
                    "notice.retrying",
                    &[
                        ("what", &crate::i18n::retrying_what(what)),
                        ("reason", &reason),
                        ("secs", &secs)
                    ]
                )
            )
        }
        Notice::Warning(w) => {
            let text = crate::i18n::warning(w);
            eprintln!("tanto: {}", tf("notice.warning", &[("text", &text)]))
        }
        // Only a pass's note that a teammate's tanto is sending a reply: nothing to do.
        Notice::Outbox(tanto_app::reply_outbox::Sent::Taken { .. }) => {}
        Notice::Outbox(sent) => eprintln!("tanto: {}", reply::sent_line(sent).0),
        Notice::Offline(a) => eprintln!("tanto: {}", crate::i18n::offline_text(a).0),
    })
}

/// Loads the config for a command-line run: its warnings printed, notices to stderr.
pub fn load_ctx(flag: Option<&std::path::Path>) -> anyhow::Result<Ctx> {
    let ctx = Ctx::load(flag)?.with_notifier(stderr_notifier());
    start(&ctx)?;
    for w in &ctx.config.warnings {
        eprintln!("tanto: {}", crate::i18n::config_warning(w));
    }
    Ok(ctx)
}

/// What every front end (each command, the terminal UI, the demo) does with a loaded
/// config before it says anything: choose the language, check `[keys]`.
pub fn start(ctx: &Ctx) -> anyhow::Result<()> {
    crate::i18n::init(ctx.config.lang);
    // `[keys]` is the terminal UI's table: a bad binding is a config error for every command.
    for (action, keys) in &ctx.config.keys {
        if let Err((problem, fix)) = crate::tui::keymap::check_binding(action, keys) {
            return Err(tanto_app::config::ConfigError::Invalid {
                path: ctx.config.path.clone(),
                key: format!("keys.{action}"),
                problem,
                fix,
            }
            .into());
        }
    }
    Ok(())
}

/// Runs the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    if matches!(
        cli.command,
        Some(Command::Demo(_) | Command::Completions(_) | Command::Man(_))
    ) {
        // No config for these: the locale alone chooses the language.
        crate::i18n::init(None);
    }
    match cli.command {
        Some(Command::Demo(args)) => demo::run(args),
        // Neither needs a config: they describe the command line itself.
        Some(Command::Completions(args)) => completions::run(args),
        Some(Command::Man(args)) => man::run(args),
        Some(command) => {
            let ctx = load_ctx(cli.config.as_deref())?;
            match command {
                Command::Sync(a) => sync::run(&ctx, a),
                Command::List(a) => list::run(&ctx, a),
                Command::Search(a) => search::run(&ctx, a),
                Command::History(a) => history::run(&ctx, a),
                Command::Report(a) => report::run(&ctx, a),
                Command::Show(a) => show::run(&ctx, a),
                Command::Doctor(a) => doctor::run(&ctx, a),
                Command::Login(a) => login::run(&ctx, a),
                Command::Claim(a) => {
                    let action = if a.take_over {
                        Action::TakeOver
                    } else {
                        Action::Claim
                    };
                    coordinate::run(&ctx, &a.id, action)
                }
                Command::Release(a) => coordinate::run(&ctx, &a.id, Action::Release),
                Command::Assign(a) => coordinate::run(&ctx, &a.id, Action::Assign(a.agent)),
                Command::Done(a) => coordinate::run(&ctx, &a.id, Action::Done),
                Command::Reopen(a) => coordinate::run(&ctx, &a.id, Action::Reopen),
                Command::Wait(a) => waiting::wait(&ctx, a),
                Command::Snooze(a) => waiting::snooze(&ctx, a),
                Command::Wake(a) => coordinate::run(&ctx, &a.id, Action::Wake),
                Command::Note(a) => coordinate::note(&ctx, a),
                Command::Merge(a) => coordinate::merge(&ctx, a),
                Command::Split(a) => coordinate::split(&ctx, a),
                Command::Away(args) => duty::run(&ctx, args, true),
                Command::Back(args) => duty::run(&ctx, args, false),
                // One session for the claim, the look at the server's copy, the queueing and
                // the send, where each would log in.
                Command::Reply(a) => reply::run(&ctx.clone().keep_sessions_warm(), a),
                Command::Approve(a) => approve::approve(&ctx, a),
                Command::Reject(a) => approve::reject(&ctx, a),
                Command::Save(a) => save::run(&ctx, a),
                Command::Outbox(a) => outbox::run(&ctx, a),
                Command::Template { command } => template::run(&ctx, command),
                Command::Tag(a) => tag::run(&ctx, a, true),
                Command::Untag(a) => tag::run(&ctx, a, false),
                Command::Rules { command } => rules::run(&ctx, command),
                Command::Cache { command } => cache_cmd::run(&ctx, command),
                Command::Demo(_) | Command::Completions(_) | Command::Man(_) => {
                    unreachable!("handled above")
                }
            }
        }
        None => {
            // Config warnings go to the status bar: stderr is under the screen.
            let ctx = Ctx::load(cli.config.as_deref())?;
            start(&ctx)?;
            crate::tui::run(ctx)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    const GOOD: &str = "[agent]\nid = \"alice\"\n\n[[mailbox]]\nname = \"support\"\naddress = \"support@example.com\"\n[mailbox.imap]\nhost = \"127.0.0.1\"\ntls = \"none\"\nuser = \"support\"\npassword_env = \"X\"\n";

    fn load_error(extra: &str) -> String {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        write!(f, "{GOOD}{extra}").expect("write");
        match super::load_ctx(Some(f.path())) {
            Ok(_) => String::new(),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn a_bad_key_binding_is_a_config_error_naming_the_key_and_the_fix() {
        assert_eq!(load_error(""), "");
        for (extra, needle) in [
            ("[keys]\nclaim = \"Ctrl-Q-Z\"\n", "keys.claim"),
            ("[keys]\nfly = \"f\"\n", "keys.fly"),
        ] {
            let e = load_error(extra);
            assert!(e.contains(needle) && e.contains("fix:"), "{e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }
}
