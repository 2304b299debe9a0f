//! What tanto needs to know to reach a server, as the config writes it: the layers below the
//! config (IMAP, SMTP, OAuth2) take these, so that they do not depend on the config itself.

use std::net::IpAddr;

use serde::Deserialize;

/// `[limits]`: the most a server may send, so that a hostile or broken one cannot grow
/// tanto's memory without bound. Generous: real mail stays far below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// One line of an IMAP response, literals aside (MiB).
    pub imap_line_mib: u64,
    /// One whole IMAP response, literals included (MiB).
    pub imap_response_mib: u64,
    /// One message, or any one literal (MiB).
    pub message_mib: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            imap_line_mib: 64,
            imap_response_mib: 1024,
            message_mib: 512,
        }
    }
}

/// How tanto signs in to a server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// A login name and a password (`password_command`, `password_env` or `password`).
    #[default]
    Password,
    /// An OAuth2 access token (SASL XOAUTH2), from `tanto login`.
    Oauth2,
}

/// Whose OAuth2 endpoints `[mailbox.oauth2]` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Microsoft,
    Google,
    Custom,
}

/// `[mailbox.oauth2]`: the app registration (client) and the provider's endpoints.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub provider: Provider,
    pub client_id: String,
    /// Microsoft only: the directory (tenant id or domain), default "organizations".
    pub tenant: Option<String>,
    /// Required for "custom"; overrides the provider's otherwise.
    pub device_authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// Google's device flow wants the client's secret (not a secret for an installed app).
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client secret is not printed.
        write!(f, "OAuth2({:?}, client {})", self.provider, self.client_id)
    }
}

/// Where a provider's device flow and tokens are, and what to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub device_authorization_url: String,
    pub token_url: String,
    pub scopes: Vec<String>,
}

impl OAuth2 {
    /// The provider's endpoints and scopes, with the config's overrides; `None` for a
    /// "custom" provider missing one (the config check names it).
    pub fn endpoints(&self) -> Option<Endpoints> {
        let (device, token, scopes): (Option<String>, Option<String>, Vec<String>) =
            match self.provider {
                Provider::Microsoft => {
                    let tenant = self.tenant.as_deref().unwrap_or("organizations");
                    let base = format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0");
                    (
                        Some(format!("{base}/devicecode")),
                        Some(format!("{base}/token")),
                        [
                            "https://outlook.office.com/IMAP.AccessAsUser.All",
                            "https://outlook.office.com/SMTP.Send",
                            "offline_access",
                        ]
                        .map(String::from)
                        .to_vec(),
                    )
                }
                Provider::Google => (
                    Some("https://oauth2.googleapis.com/device/code".into()),
                    Some("https://oauth2.googleapis.com/token".into()),
                    vec!["https://mail.google.com/".into()],
                ),
                Provider::Custom => (None, None, Vec::new()),
            };
        Some(Endpoints {
            device_authorization_url: self.device_authorization_url.clone().or(device)?,
            token_url: self.token_url.clone().or(token)?,
            scopes: self.scopes.clone().unwrap_or(scopes),
        })
    }
}

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    Tls,
    Starttls,
    None,
}

/// True for hosts whose traffic never leaves the machine.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}
