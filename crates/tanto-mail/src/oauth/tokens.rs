//! `Tokens`: one mailbox's OAuth2 client and stored tokens. A connection asks it for an
//! access token; it gives the stored one while it has a minute left, else refreshes it
//! (RFC 6749 §6) under the file lock, and refreshes again when a server refused one.

use std::path::{Path, PathBuf};

use super::http::{post_form, Answer};
use super::store::{self, Stored};
use super::{OAuthError, Result};
use crate::settings::{Endpoints, OAuth2, Provider};
use tanto_core::oauth::token_usable;

/// One mailbox's OAuth2 client, and where its tokens are kept.
#[derive(Clone)]
pub struct Tokens {
    pub(super) mailbox: String,
    pub(super) endpoints: Endpoints,
    pub(super) client_id: String,
    pub(super) client_secret: Option<String>,
    provider: Provider,
    path: PathBuf,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} in {})", self.mailbox, self.path.display())
    }
}

/// Where a mailbox's sign-in stands, without asking the provider (`tanto doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    /// Never signed in (or the stored tokens belong to another client or provider).
    NotLoggedIn,
    /// The access token is good until `expires_at` (seconds since the epoch).
    Valid { expires_at: i64 },
    /// The access token is (nearly) expired; the refresh token gets a new one on next use.
    Refreshable { expires_at: i64 },
    /// The access token is expired and there is no refresh token: sign in again.
    Expired,
}

/// What a token endpoint granted.
pub(super) struct Granted {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
}

impl Granted {
    pub(super) fn read(url: &str, a: &Answer) -> Result<Granted> {
        let access_token = a.str("access_token").ok_or_else(|| OAuthError::BadAnswer {
            url: url.to_string(),
            reason: "no access_token".into(),
        })?;
        Ok(Granted {
            access_token,
            refresh_token: a.str("refresh_token"),
            expires_in: a.number("expires_in"),
        })
    }
}

/// Assumed when a provider does not say how long a token lasts (RFC 6749 makes
/// `expires_in` optional); a server's refusal refreshes it earlier anyway.
const DEFAULT_LIFETIME: u64 = 3600;

impl Tokens {
    /// The client of `[mailbox.oauth2]` for mailbox `mailbox`, its tokens at `path`; `None`
    /// when the config lacks an endpoint (the config check rules that out).
    pub fn new(mailbox: &str, oauth2: &OAuth2, path: PathBuf) -> Option<Tokens> {
        Some(Tokens {
            mailbox: mailbox.to_string(),
            endpoints: oauth2.endpoints()?,
            client_id: oauth2.client_id.clone(),
            client_secret: oauth2.client_secret.clone(),
            provider: oauth2.provider,
            path,
        })
    }

    /// The token file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mailbox's name in the config.
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    /// The stored tokens, if they were issued to this client by this provider.
    fn load(&self) -> Result<Option<Stored>> {
        Ok(store::read(&self.path)?
            .filter(|s| s.client_id == self.client_id && s.token_url == self.endpoints.token_url))
    }

    fn not_logged_in(&self) -> OAuthError {
        OAuthError::NotLoggedIn {
            mailbox: self.mailbox.clone(),
        }
    }

    /// An access token with at least a minute to live: the stored one, or a refreshed one.
    pub fn access_token(&self) -> Result<String> {
        let now = tanto_core::clock::now();
        match self.load()? {
            Some(s) if token_usable(s.expires_at, now) => Ok(s.access_token),
            Some(_) => self.refresh_unless(|s| token_usable(s.expires_at, now)),
            None => Err(self.not_logged_in()),
        }
    }

    /// A new access token after a server refused `refused`: refreshed, unless another
    /// process has refreshed it meanwhile.
    pub fn refresh_after_refusal(&self, refused: &str) -> Result<String> {
        let now = tanto_core::clock::now();
        self.refresh_unless(|s| s.access_token != refused && token_usable(s.expires_at, now))
    }

    /// Refreshes under the lock, unless the tokens found there satisfy `good` (another
    /// process refreshed them while this one waited).
    fn refresh_unless(&self, good: impl Fn(&Stored) -> bool) -> Result<String> {
        let _lock = store::lock(&self.path)?;
        let stored = self.load()?.ok_or_else(|| self.not_logged_in())?;
        if good(&stored) {
            return Ok(stored.access_token);
        }
        let Some(refresh_token) = stored.refresh_token.clone() else {
            return Err(OAuthError::Expired {
                mailbox: self.mailbox.clone(),
            });
        };
        let url = &self.endpoints.token_url;
        let scope = self.endpoints.scopes.join(" ");
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", self.client_id.as_str()),
        ];
        if let Some(s) = &self.client_secret {
            form.push(("client_secret", s));
        }
        // Microsoft wants the scopes again; Google takes the grant's.
        if self.provider != Provider::Google {
            form.push(("scope", &scope));
        }
        let a = post_form(url, &form)?;
        match a.error() {
            Some("invalid_grant") => {
                return Err(OAuthError::Expired {
                    mailbox: self.mailbox.clone(),
                })
            }
            Some(_) => return Err(self.refused(url, &a)),
            None if a.status != 200 => return Err(self.refused(url, &a)),
            None => {}
        }
        let granted = Granted::read(url, &a)?;
        let access = granted.access_token.clone();
        let next = self.stored(granted, Some(stored));
        store::write(&self.path, &next)?;
        Ok(access)
    }

    /// Keeps what the device flow granted, replacing any earlier sign-in.
    pub(super) fn store_granted(&self, granted: Granted) -> Result<()> {
        let _lock = store::lock(&self.path)?;
        let next = self.stored(granted, None);
        store::write(&self.path, &next)
    }

    /// The record to keep after a grant; a refresh that names no new refresh token keeps
    /// the one it used (RFC 6749 §6).
    fn stored(&self, g: Granted, before: Option<Stored>) -> Stored {
        let now = tanto_core::clock::now();
        let lifetime = g.expires_in.unwrap_or(DEFAULT_LIFETIME);
        let before_refresh = before.as_ref().and_then(|b| b.refresh_token.clone());
        Stored {
            client_id: self.client_id.clone(),
            token_url: self.endpoints.token_url.clone(),
            refresh_token: g.refresh_token.or(before_refresh),
            access_token: g.access_token,
            expires_at: now + i64::try_from(lifetime).unwrap_or(i64::MAX / 2),
            signed_in_at: before.map(|b| b.signed_in_at).unwrap_or(now),
        }
    }

    /// Where the sign-in stands, from the file alone.
    pub fn state(&self) -> Result<TokenState> {
        let now = tanto_core::clock::now();
        Ok(match self.load()? {
            None => TokenState::NotLoggedIn,
            Some(s) if token_usable(s.expires_at, now) => TokenState::Valid {
                expires_at: s.expires_at,
            },
            Some(s) if s.refresh_token.is_some() => TokenState::Refreshable {
                expires_at: s.expires_at,
            },
            Some(_) => TokenState::Expired,
        })
    }

    /// Forgets the stored tokens (`tanto login` starts afresh).
    pub fn forget(&self) -> Result<()> {
        let _lock = store::lock(&self.path)?;
        store::remove(&self.path)
    }
}
