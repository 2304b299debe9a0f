//! What can stop the demo from starting, as data: the front ends word it (`i18n`).

/// A demo that could not start, or a helper program it needs that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemoError {
    /// `--agents N` outside 1 to `max`.
    #[error("--agents {agents} is out of range; the demo has 1 to {max} agents")]
    AgentsOutOfRange { agents: usize, max: usize },
    /// Dovecot did not start (most often: not installed).
    #[error(
        "run scripts/ensure-deps.sh to install Dovecot: the demo server did not start: {cause}"
    )]
    Server { cause: String },
    /// The sample mailbox could not be loaded into the server.
    #[error("loading the sample mailbox: {cause}")]
    Loading { cause: String },
    /// Debian's Python has no aiosmtpd, which the demo's SMTP server is.
    #[error(
        "the demo's SMTP server needs aiosmtpd for /usr/bin/python3: install it with \
         scripts/ensure-deps.sh (Debian/Ubuntu package python3-aiosmtpd)"
    )]
    SmtpMissing,
    /// The SMTP server is installed but did not start.
    #[error("the demo's SMTP server did not start: {cause}")]
    Smtp { cause: String },
    /// tmux could not be run at all (most often: not installed).
    #[error("running tmux (install it with scripts/ensure-deps.sh): {cause}")]
    TmuxMissing { cause: String },
    /// A tmux command failed; `cause` is tmux's own words.
    #[error("tmux {command}: {cause}")]
    Tmux { command: String, cause: String },
}
