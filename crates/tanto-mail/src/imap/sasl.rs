//! SASL with an OAuth2 bearer token: XOAUTH2 (what Microsoft 365 and Gmail offer), or
//! OAUTHBEARER (RFC 7628) where a server offers only that. The token goes on the
//! AUTHENTICATE line itself (SASL-IR, RFC 4959: one round trip) when the greeting announces
//! it, else in answer to the server's empty challenge. A refusal comes as a challenge
//! holding the server's JSON error: it is kept for the message, and answered as each
//! mechanism requires, so that the server ends the exchange with NO.

use std::cell::{Cell, RefCell};

use base64::Engine as _;

use tanto_core::oauth::{oauthbearer, xoauth2};

/// The capabilities of a greeting's `[CAPABILITY ...]` code, upper-cased.
pub(super) fn greeting_capabilities(greeting: &[u8]) -> Vec<String> {
    // Response keywords are case-insensitive (RFC 3501 §9): `[capability ...]` counts too.
    let text = String::from_utf8_lossy(greeting).to_ascii_uppercase();
    let Some(start) = text.find("[CAPABILITY ") else {
        return Vec::new();
    };
    let rest = &text[start + "[CAPABILITY ".len()..];
    let list = rest.split(']').next().unwrap_or_default();
    list.split_whitespace()
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// True when the greeting names a server known to keep commands pipelined behind LOGIN
/// (Dovecot and Cyrus hand the rest of the input to the logged-in session). Courier's login
/// process, for one, drops what follows LOGIN when it starts the session: anything not
/// known waits for the LOGIN's answer.
pub(super) fn keeps_commands_behind_login(greeting: &[u8]) -> bool {
    let text = String::from_utf8_lossy(greeting).to_ascii_lowercase();
    text.contains("dovecot") || text.contains("cyrus")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    Xoauth2,
    OAuthBearer,
}

/// One sign-in with a bearer token (the crate's `Authenticator`).
pub(super) struct Bearer {
    mechanism: Mechanism,
    /// The initial response, before base64.
    initial: String,
    /// The initial response goes on the AUTHENTICATE line.
    sasl_ir: bool,
    sent: Cell<bool>,
    /// What the server said when it refused (its JSON error), for the message.
    refusal: RefCell<Option<String>>,
}

impl Bearer {
    /// The mechanism and the way to send it, from what the greeting announced (nothing:
    /// XOAUTH2, without SASL-IR).
    pub(super) fn choose(
        caps: &[String],
        user: &str,
        host: &str,
        port: u16,
        token: &str,
    ) -> Bearer {
        let has = |c: &str| caps.iter().any(|x| x == c);
        let mechanism = if has("AUTH=OAUTHBEARER") && !has("AUTH=XOAUTH2") {
            Mechanism::OAuthBearer
        } else {
            Mechanism::Xoauth2
        };
        let initial = match mechanism {
            Mechanism::Xoauth2 => xoauth2(user, token),
            Mechanism::OAuthBearer => oauthbearer(user, host, port, token),
        };
        Bearer {
            mechanism,
            initial,
            sasl_ir: has("SASL-IR"),
            sent: Cell::new(false),
            refusal: RefCell::new(None),
        }
    }

    /// What follows AUTHENTICATE: the mechanism, and the initial response with SASL-IR.
    pub(super) fn command(&self) -> String {
        let name = match self.mechanism {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        };
        if self.sasl_ir {
            self.sent.set(true);
            let b64 = base64::engine::general_purpose::STANDARD.encode(&self.initial);
            format!("{name} {b64}")
        } else {
            name.to_string()
        }
    }

    /// The server's refusal `reason`, with what it said in its error challenge.
    pub(super) fn explain(&self, reason: String) -> String {
        match self.refusal.borrow().as_deref() {
            Some(said) if !said.is_empty() => format!("{reason} ({said})"),
            _ => reason,
        }
    }
}

impl imap::Authenticator for Bearer {
    type Response = Vec<u8>;

    fn process(&self, challenge: &[u8]) -> Vec<u8> {
        if challenge.is_empty() && !self.sent.get() {
            self.sent.set(true);
            return self.initial.clone().into_bytes();
        }
        // An error: keep it (sanitized: it is the server's text) and end the exchange.
        let said = crate::sanitize::single_line(&String::from_utf8_lossy(challenge));
        *self.refusal.borrow_mut() = Some(said);
        match self.mechanism {
            Mechanism::Xoauth2 => Vec::new(),
            // RFC 7628 §3.2.3: the client answers an error with a single %x01.
            Mechanism::OAuthBearer => vec![1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_ride_behind_login_only_on_servers_known_to_keep_them() {
        assert!(keeps_commands_behind_login(
            b"* OK [CAPABILITY IMAP4rev1] Dovecot (Debian) ready.\r\n"
        ));
        assert!(keeps_commands_behind_login(
            b"* OK server Cyrus IMAP 3.6.1 ready\r\n"
        ));
        assert!(!keeps_commands_behind_login(
            b"* OK [CAPABILITY IMAP4rev1] Courier-IMAP ready.\r\n"
        ));
        assert!(!keeps_commands_behind_login(
            b"* OK The Microsoft Exchange IMAP4 service is ready.\r\n"
        ));
    }
    use imap::Authenticator as _;

    #[test]
    fn the_greeting_chooses_the_mechanism_and_sasl_ir() {
        let caps = greeting_capabilities(
            b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER] Dovecot ready.\r\n",
        );
        assert!(caps.contains(&"SASL-IR".to_string()));
        let b = Bearer::choose(&caps, "support", "127.0.0.1", 143, "tok");
        let b64 = base64::engine::general_purpose::STANDARD
            .encode("user=support\x01auth=Bearer tok\x01\x01");
        assert_eq!(b.command(), format!("XOAUTH2 {b64}"));
        // Sent already: an error challenge is answered empty, and kept.
        assert_eq!(b.process(br#"{"status":"401"}"#), Vec::<u8>::new());
        assert_eq!(b.explain("NO".into()), r#"NO ({"status":"401"})"#);

        let m365 =
            greeting_capabilities(b"* OK The Microsoft Exchange IMAP4 service is ready.\r\n");
        assert!(m365.is_empty());
        let b = Bearer::choose(
            &m365,
            "support@example.com",
            "outlook.office365.com",
            993,
            "tok",
        );
        assert_eq!(b.command(), "XOAUTH2");
        assert_eq!(
            b.process(b""),
            b"user=support@example.com\x01auth=Bearer tok\x01\x01".to_vec()
        );

        let only_bearer = vec!["AUTH=OAUTHBEARER".to_string()];
        let b = Bearer::choose(&only_bearer, "u", "h", 143, "tok");
        assert_eq!(b.command(), "OAUTHBEARER");
        assert!(b.process(b"").starts_with(b"n,a=u,"));
        assert_eq!(b.process(b"{}"), vec![1]);
    }
}
