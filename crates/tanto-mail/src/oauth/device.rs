//! The device authorization grant (RFC 8628): a user code for the user to enter on another
//! device (ssh sessions have no browser), then polling until they have signed in.

use std::time::{Duration, Instant};

use super::http::{post_form, Answer};
use super::tokens::{Granted, Tokens};
use super::{OAuthError, Result};
use tanto_core::oauth::{first_interval, poll_answer, Poll};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What the user is asked to do: open `verification_uri` and enter `user_code`.
#[derive(Clone)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    /// The address with the code in it, when the provider gives one (a QR code, a click).
    pub verification_uri_complete: Option<String>,
    /// Seconds the code is good for.
    pub expires_in: u64,
    /// Seconds between polls.
    pub interval: u64,
    device_code: String,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The device code is a credential until it expires.
        write!(
            f,
            "DeviceCode({} at {})",
            self.user_code, self.verification_uri
        )
    }
}

/// What polling has heard so far, for the front end to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Not signed in yet; the next poll is in `interval` seconds.
    Pending { interval: u64 },
    /// The provider asked to slow down: polls are now `interval` seconds apart.
    SlowDown { interval: u64 },
}

impl Tokens {
    /// Asks the provider for a user code (RFC 8628 §3.1-3.2).
    pub fn device_code(&self) -> Result<DeviceCode> {
        let url = &self.endpoints.device_authorization_url;
        let scope = self.endpoints.scopes.join(" ");
        let mut form = vec![("client_id", self.client_id.as_str()), ("scope", &scope)];
        if let Some(s) = &self.client_secret {
            form.push(("client_secret", s));
        }
        let a = post_form(url, &form)?;
        if a.status != 200 || a.error().is_some() {
            return Err(self.refused(url, &a));
        }
        let missing = |what: &str| OAuthError::BadAnswer {
            url: url.clone(),
            reason: format!("no {what}"),
        };
        Ok(DeviceCode {
            device_code: a.str("device_code").ok_or_else(|| missing("device_code"))?,
            user_code: a.str("user_code").ok_or_else(|| missing("user_code"))?,
            // Google calls it verification_url.
            verification_uri: a
                .str("verification_uri")
                .or_else(|| a.str("verification_url"))
                .ok_or_else(|| missing("verification_uri"))?,
            verification_uri_complete: a.str("verification_uri_complete"),
            expires_in: a.number("expires_in").unwrap_or(900),
            interval: first_interval(a.number("interval")),
        })
    }

    /// Polls the token endpoint until the user has signed in (RFC 8628 §3.4-3.5), telling
    /// `progress` each time the answer is "not yet"; `sleep` waits (tests may shorten it,
    /// never the protocol's intervals). Stores the tokens on success.
    pub fn wait_for_sign_in(
        &self,
        code: &DeviceCode,
        mut progress: impl FnMut(Progress),
        mut sleep: impl FnMut(Duration),
    ) -> Result<()> {
        let url = &self.endpoints.token_url;
        let deadline = Instant::now() + Duration::from_secs(code.expires_in);
        let mut interval = code.interval;
        loop {
            sleep(Duration::from_secs(interval));
            if Instant::now() > deadline {
                return Err(OAuthError::CodeExpired {
                    mailbox: self.mailbox.clone(),
                });
            }
            let mut form = vec![
                ("grant_type", DEVICE_GRANT),
                ("device_code", code.device_code.as_str()),
                ("client_id", self.client_id.as_str()),
            ];
            if let Some(s) = &self.client_secret {
                form.push(("client_secret", s));
            }
            let a = post_form(url, &form)?;
            let Some(error) = a.error() else {
                if a.status != 200 {
                    return Err(self.refused(url, &a));
                }
                let granted = Granted::read(url, &a)?;
                return self.store_granted(granted);
            };
            match poll_answer(error, interval) {
                Poll::Pending { interval: i } => {
                    interval = i;
                    progress(Progress::Pending { interval });
                }
                Poll::SlowDown { interval: i } => {
                    interval = i;
                    progress(Progress::SlowDown { interval });
                }
                Poll::Expired => {
                    return Err(OAuthError::CodeExpired {
                        mailbox: self.mailbox.clone(),
                    })
                }
                Poll::Denied => {
                    return Err(OAuthError::Denied {
                        mailbox: self.mailbox.clone(),
                        description: a.description(),
                    })
                }
                Poll::Failed { .. } => return Err(self.refused(url, &a)),
            }
        }
    }

    pub(super) fn refused(&self, url: &str, a: &Answer) -> OAuthError {
        OAuthError::Refused {
            url: url.to_string(),
            error: a
                .error()
                .map(String::from)
                .unwrap_or_else(|| format!("HTTP {}", a.status)),
            description: a.description(),
        }
    }
}
