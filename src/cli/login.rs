//! `tanto login [--mailbox NAME]`: signs the agent in with OAuth2's device flow (RFC 8628),
//! which needs no browser on this host: the user opens an address on any device and enters
//! a code. The token is kept in the agent's private state directory; then one IMAP login
//! checks that the server takes it.

use super::Ctx;
use crate::i18n::tf;
use tanto_mail::oauth::Progress;

#[derive(Debug, clap::Args, Default)]
pub struct Args {
    /// The mailbox to sign in for, by its name in the config (default: the first)
    #[arg(long, value_name = "NAME")]
    pub mailbox: Option<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    let (index, mailbox) = match &args.mailbox {
        Some(name) => ctx.mailbox_named(name)?,
        None => ctx
            .mailboxes()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no [[mailbox]] in the config"))?,
    };
    let (tokens, code) = tanto_app::oauth::start_login(ctx, mailbox)?;
    // What the provider sends is shown, never obeyed: no control characters.
    let clean = tanto_mail::sanitize::single_line;
    outln!(
        "{}",
        tf(
            "login.open",
            &[
                ("mailbox", &mailbox.name as &dyn std::fmt::Display),
                ("uri", &clean(&code.verification_uri)),
                ("code", &clean(&code.user_code)),
            ],
        )
    );
    if let Some(uri) = &code.verification_uri_complete {
        outln!("{}", tf("login.open_complete", &[("uri", &clean(uri))]));
    }
    let minutes = code.expires_in.div_ceil(60);
    outln!("{}", tf("login.waiting", &[("minutes", &minutes)]));
    let mut told_pending = false;
    tanto_app::oauth::finish_login(&tokens, &code, |p| match p {
        // Said once: the same line every few seconds for minutes would only scroll.
        Progress::Pending { interval } if !told_pending => {
            told_pending = true;
            outln!("{}", tf("login.pending", &[("secs", &interval)]));
        }
        Progress::Pending { .. } => {}
        Progress::SlowDown { interval } => {
            outln!("{}", tf("login.slow_down", &[("secs", &interval)]));
        }
    })?;
    let path = tokens.path().display().to_string();
    outln!(
        "{}",
        tf(
            "login.done",
            &[
                ("mailbox", &mailbox.name as &dyn std::fmt::Display),
                ("path", &path)
            ]
        )
    );
    if mailbox.imap.auth == tanto_app::config::Auth::Oauth2 {
        let conn = ctx.connect(index, mailbox)?;
        let server = conn.addr().to_string();
        conn.logout();
        outln!(
            "{}",
            tf(
                "login.checked",
                &[
                    ("server", &server as &dyn std::fmt::Display),
                    ("user", &mailbox.imap.user)
                ]
            )
        );
    }
    Ok(0)
}
