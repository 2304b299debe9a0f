//! OAuth2 for the front ends: `tanto login` (the device flow), the tokens every IMAP and
//! SMTP connection of a mailbox with `auth = "oauth2"` signs in with, and where a sign-in
//! stands (`tanto doctor`). Tokens live in the agent's private state directory
//! (`agent.state_dir`, `oauth2/AGENT/MAILBOX.json`), never in the config or the cache.

use crate::config::{Auth, Mailbox};
use tanto_mail::oauth::{DeviceCode, Progress, TokenState, Tokens};
use tanto_mail::send::SmtpLogin;

use super::Ctx;

/// True when the mailbox signs in to IMAP or SMTP with OAuth2.
pub fn uses_oauth2(mailbox: &Mailbox) -> bool {
    mailbox.imap.auth == Auth::Oauth2
        || mailbox
            .smtp
            .as_ref()
            .is_some_and(|s| s.auth.unwrap_or(mailbox.imap.auth) == Auth::Oauth2)
}

/// The mailbox's OAuth2 client and token file; `None` when it signs in with a password.
pub fn tokens(ctx: &Ctx, mailbox: &Mailbox) -> anyhow::Result<Option<Tokens>> {
    let Some(o) = mailbox.oauth2.as_ref().filter(|_| uses_oauth2(mailbox)) else {
        return Ok(None);
    };
    let dir = ctx.state_dir("oauth2")?;
    let file = format!("{}.json", tanto_mail::sanitize::file_name(&mailbox.name));
    Ok(Tokens::new(&mailbox.name, o, dir.join(file)))
}

/// The mailbox's tokens, or the error saying it signs in with a password.
pub(super) fn required(ctx: &Ctx, mailbox: &Mailbox) -> anyhow::Result<Tokens> {
    tokens(ctx, mailbox)?.ok_or_else(|| {
        anyhow::anyhow!(tanto_core::said!(
            "error.login.no_oauth2",
            mailbox = mailbox.name
        ))
    })
}

/// Starts `tanto login` for the mailbox: the code the user enters, and where.
pub fn start_login(ctx: &Ctx, mailbox: &Mailbox) -> anyhow::Result<(Tokens, DeviceCode)> {
    let tokens = required(ctx, mailbox)?;
    let code = tokens.device_code()?;
    Ok((tokens, code))
}

/// Waits until the user has signed in (telling `progress` each "not yet"), and keeps the
/// tokens.
pub fn finish_login(
    tokens: &Tokens,
    code: &DeviceCode,
    progress: impl FnMut(Progress),
) -> anyhow::Result<()> {
    tokens.wait_for_sign_in(code, progress, std::thread::sleep)?;
    Ok(())
}

/// Where the mailbox's sign-in stands; `None` when it signs in with a password.
pub fn state(ctx: &Ctx, mailbox: &Mailbox) -> anyhow::Result<Option<TokenState>> {
    match tokens(ctx, mailbox)? {
        Some(t) => Ok(Some(t.state()?)),
        None => Ok(None),
    }
}

/// The SMTP login of a mailbox: its password, or its OAuth2 token (with a way to renew it
/// when the server refuses it), or none when `[mailbox.smtp]` names no user.
pub fn smtp_login(ctx: &Ctx, index: usize, mailbox: &Mailbox) -> anyhow::Result<SmtpLogin> {
    let Some(smtp) = &mailbox.smtp else {
        return Ok(SmtpLogin::None);
    };
    if smtp.auth.unwrap_or(mailbox.imap.auth) == Auth::Oauth2 {
        let tokens = required(ctx, mailbox)?;
        let access_token = tokens.access_token()?;
        // The agent's own address on Microsoft 365 (Send As the shared one); the IMAP
        // login when none is given.
        let user = smtp
            .user
            .clone()
            .unwrap_or_else(|| mailbox.imap.user.clone());
        let renew = Box::new(move |refused: &str| {
            tokens
                .refresh_after_refusal(refused)
                .map_err(|e| e.to_string())
        });
        return Ok(SmtpLogin::OAuth2 {
            user,
            access_token,
            renew,
        });
    }
    match smtp.credentials(index) {
        None => Ok(SmtpLogin::None),
        Some(login) => {
            let password =
                login
                    .password()
                    .map_err(|error| crate::config::ConfigError::Password {
                        path: ctx.config.path.clone(),
                        error,
                    })?;
            Ok(SmtpLogin::Password {
                user: login.user,
                password,
            })
        }
    }
}
