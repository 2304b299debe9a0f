//! OAuth2 for IMAP and SMTP: the device authorization grant (RFC 8628) behind `tanto
//! login`, and the access tokens every connection signs in with, refreshed before they
//! expire. The only module that speaks HTTP (`http`, over ureq and the system's TLS).
//!
//! - `device`: asks the provider for a user code, then polls its token endpoint.
//! - `store`: the agent's tokens, one file per mailbox in the private state directory
//!   (0600, written by rename, locked while refreshed), never in the config or the cache.
//! - `tokens`: `Tokens`, what a connection asks for a usable access token.
//!
//! Decisions (what a poll answer means, when a token is too old) are the core's
//! (`core::oauth`). Tokens never appear in an error, a `Debug` value or a log.

mod device;
mod http;
mod store;
mod tokens;

pub use device::{DeviceCode, Progress};
pub use store::Stored;
pub use tokens::{TokenState, Tokens};

/// Why OAuth2 could not give a token; the English text names what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The provider could not be reached (network, TLS, a time-out).
    #[error("cannot reach {url}: {reason}; check the network and [mailbox.oauth2]")]
    Http { url: String, reason: String },
    /// The provider answered with an error tanto has no better words for.
    #[error("{url} refused: {error}{}; check [mailbox.oauth2] (client_id, tenant, scopes)", description_suffix(.description))]
    Refused {
        url: String,
        error: String,
        description: String,
    },
    /// The provider's answer is not what RFC 6749/8628 describe.
    #[error("{url} sent an answer tanto cannot read: {reason}")]
    BadAnswer { url: String, reason: String },
    /// No token was ever stored for this mailbox (or for this client and provider).
    #[error("mailbox {mailbox} is not signed in: run `tanto login --mailbox {mailbox}`")]
    NotLoggedIn { mailbox: String },
    /// The refresh token expired or was revoked (`invalid_grant`).
    #[error("the sign-in for mailbox {mailbox} has expired or was revoked: run `tanto login --mailbox {mailbox}`")]
    Expired { mailbox: String },
    /// The user code expired before the user finished signing in.
    #[error("the code expired before the sign-in was finished: run `tanto login --mailbox {mailbox}` again and enter the new code in time")]
    CodeExpired { mailbox: String },
    /// The user, or a policy of the organisation, refused.
    #[error("the sign-in was refused{}: sign in again with `tanto login --mailbox {mailbox}`, or ask the admin to allow the app", description_suffix(.description))]
    Denied {
        mailbox: String,
        description: String,
    },
    /// The token file could not be read or written.
    #[error("cannot keep the token in {path}: {reason}; check agent.state_dir")]
    Store { path: String, reason: String },
}

fn description_suffix(d: &str) -> String {
    if d.is_empty() {
        String::new()
    } else {
        format!(" ({d})")
    }
}

pub type Result<T> = std::result::Result<T, OAuthError>;
