//! SMTP via lettre: the exact bytes of a reply with an explicit envelope, so that the very
//! same bytes can go into Sent. TLS or STARTTLS; plain only on loopback or with
//! `allow_insecure` (the config checks that).

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::SmtpTransport;
use lettre::{Address, Transport as _};

use crate::settings::{self, is_loopback};

/// How a send ended when it did not succeed, as far as anyone can know.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The mail certainly did not go out (no connection, or the server refused it).
    #[error("SMTP server {addr} did not take the mail: {reason}")]
    NotSent { addr: String, reason: String },
    /// The server refused the mail for good (a 5xx reply, or an address it can never take):
    /// sending it again would only be refused again.
    #[error("SMTP server {addr} refused the mail for good: {reason}")]
    Refused { addr: String, reason: String },
    /// The connection broke after the mail was handed over: it may or may not have gone out.
    #[error("SMTP server {addr}: the connection failed while sending ({reason}); the mail may or may not have gone out")]
    Uncertain { addr: String, reason: String },
    #[error("SMTP config: {0}")]
    Config(String),
}

/// Gets a fresh OAuth2 access token after the server refused the one given (its text why
/// not, when it cannot).
pub type RenewToken = Box<dyn Fn(&str) -> Result<String, String>>;

/// How to sign in to the SMTP server.
pub enum SmtpLogin {
    /// The server wants no login (a relay that trusts the host).
    None,
    Password {
        user: String,
        password: String,
    },
    /// SASL XOAUTH2 with an access token; `renew` gets a fresh one after the server refused
    /// this one (its text why not, when it cannot).
    OAuth2 {
        user: String,
        access_token: String,
        renew: RenewToken,
    },
}

/// The server, resolved from the config (password or token read once).
pub struct SmtpServer {
    transport: SmtpTransport,
    addr: String,
    /// What builds the transport again with a renewed token (OAuth2 only).
    renew: Option<Renew>,
}

struct Renew {
    builder: lettre::transport::smtp::SmtpTransportBuilder,
    user: String,
    access_token: String,
    renew: RenewToken,
}

const TIMEOUT: Duration = Duration::from_secs(60);

/// Where the SMTP server is and how to reach it (`[mailbox.smtp]`, port defaulted).
pub struct Relay<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: settings::Tls,
    /// Plain SMTP to a host that is not loopback was allowed in the config.
    pub allow_insecure: bool,
}

/// Builds the transport for `smtp`, signing in as `login`.
pub fn connect(smtp: &Relay<'_>, login: SmtpLogin) -> Result<SmtpServer, SendError> {
    let addr = format!("{}:{}", smtp.host, smtp.port);
    let params =
        || TlsParameters::new(smtp.host.to_string()).map_err(|e| SendError::Config(e.to_string()));
    let tls = match smtp.tls {
        settings::Tls::Tls => Tls::Wrapper(params()?),
        settings::Tls::Starttls => Tls::Required(params()?),
        settings::Tls::None => {
            if !smtp.allow_insecure && !is_loopback(smtp.host) {
                return Err(SendError::Config(format!(
                    "plain SMTP to the non-loopback host {:?}: set tls = \"starttls\" or \"tls\"",
                    smtp.host
                )));
            }
            Tls::None
        }
    };
    let b = SmtpTransport::builder_dangerous(smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(TIMEOUT));
    Ok(match login {
        SmtpLogin::None => SmtpServer {
            transport: b.build(),
            addr,
            renew: None,
        },
        SmtpLogin::Password { user, password } => SmtpServer {
            transport: b.credentials(Credentials::new(user, password)).build(),
            addr,
            renew: None,
        },
        SmtpLogin::OAuth2 {
            user,
            access_token,
            renew,
        } => SmtpServer {
            transport: with_token(b.clone(), &user, &access_token),
            addr,
            renew: Some(Renew {
                builder: b,
                user,
                access_token,
                renew,
            }),
        },
    })
}

fn with_token(
    b: lettre::transport::smtp::SmtpTransportBuilder,
    user: &str,
    token: &str,
) -> SmtpTransport {
    b.credentials(Credentials::new(user.to_string(), token.to_string()))
        .authentication(vec![Mechanism::Xoauth2])
        .build()
}

/// True when the server refused the login (535 and kin), or answered XOAUTH2 with an error
/// challenge (Gmail's way, which lettre reports as a client error).
fn login_refused(e: &lettre::transport::smtp::Error) -> bool {
    let code = e.status().map(u16::from);
    matches!(code, Some(454 | 530 | 534 | 535))
        || (e.is_client() && e.to_string().contains("challenge"))
}

impl SmtpServer {
    /// Sends `raw` as it is from `from` to `rcpt`.
    pub fn send_raw(&self, from: &str, rcpt: &[String], raw: &[u8]) -> Result<(), SendError> {
        let bad = |what: &str, a: &str, e: lettre::address::AddressError| SendError::Refused {
            addr: self.addr.clone(),
            reason: format!("{what} {a:?} is not a valid address: {e}"),
        };
        let from: Address = from.parse().map_err(|e| bad("the sender", from, e))?;
        let to: Vec<Address> = rcpt
            .iter()
            .map(|r| r.parse().map_err(|e| bad("the recipient", r, e)))
            .collect::<Result<_, _>>()?;
        let envelope = Envelope::new(Some(from), to).map_err(|e| SendError::NotSent {
            addr: self.addr.clone(),
            reason: e.to_string(),
        })?;
        // A connection that cannot be made certainly sent nothing: find that out first, so
        // that a failure of the send itself is the only uncertain case.
        let not_sent = |reason: String| SendError::NotSent {
            addr: self.addr.clone(),
            reason,
        };
        let renewed;
        let transport = match (self.transport.test_connection(), &self.renew) {
            (Ok(_), _) => &self.transport,
            // An OAuth2 token the server refused: once more with a fresh one.
            (Err(e), Some(r)) if login_refused(&e) => {
                let token = (r.renew)(&r.access_token).map_err(not_sent)?;
                renewed = with_token(r.builder.clone(), &r.user, &token);
                renewed
                    .test_connection()
                    .map_err(|e| not_sent(e.to_string()))?;
                &renewed
            }
            (Err(e), _) => return Err(not_sent(e.to_string())),
        };
        // lettre ends DATA with CRLF "." CRLF whatever the message ends with: without its own
        // final CRLF the server receives exactly `raw`, the bytes that go into Sent.
        let data = raw.strip_suffix(b"\r\n").unwrap_or(raw);
        match transport.send_raw(&envelope, data) {
            Ok(_) => Ok(()),
            // A permanent refusal (5xx): trying again cannot help.
            Err(e) if e.is_permanent() => Err(SendError::Refused {
                addr: self.addr.clone(),
                reason: e.to_string(),
            }),
            // The server answered with a refusal: it did not take the mail.
            Err(e) if e.is_transient() || e.is_tls() => Err(SendError::NotSent {
                addr: self.addr.clone(),
                reason: e.to_string(),
            }),
            Err(e) => Err(SendError::Uncertain {
                addr: self.addr.clone(),
                reason: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
