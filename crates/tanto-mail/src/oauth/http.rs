//! The form POSTs of OAuth2 (RFC 6749 §4.1.3, §6; RFC 8628 §3.1, §3.4) and their JSON
//! answers, over ureq with the system's TLS. https only, but for a server on this machine.

use std::time::Duration;

use serde_json::Value;

use super::{OAuthError, Result};

/// Long enough for a slow provider, short enough that a dead network is noticed.
const TIMEOUT: Duration = Duration::from_secs(30);

/// What an endpoint answered: its HTTP status and its JSON object.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: u16,
    pub json: Value,
}

impl Answer {
    /// The answer's `error` code, when it is an error (RFC 6749 §5.2).
    pub fn error(&self) -> Option<&str> {
        self.json.get("error").and_then(Value::as_str)
    }

    /// The provider's `error_description`, on one line and short.
    pub fn description(&self) -> String {
        let d = self
            .json
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // Microsoft's descriptions go on with trace and correlation ids: the first line says it.
        let first = d.lines().next().unwrap_or_default();
        let line = crate::sanitize::single_line(first);
        match line.char_indices().nth(200) {
            Some((i, _)) => format!("{}…", &line[..i]),
            None => line,
        }
    }

    pub fn str(&self, key: &str) -> Option<String> {
        self.json.get(key).and_then(Value::as_str).map(String::from)
    }

    /// A number, also when a provider sends it as a string (some do for `expires_in`).
    pub fn number(&self, key: &str) -> Option<u64> {
        match self.json.get(key)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// POSTs `form` to `url` and reads the JSON object it answers, whatever the status.
pub(super) fn post_form(url: &str, form: &[(&str, &str)]) -> Result<Answer> {
    let http = |reason: String| OAuthError::Http {
        url: url.to_string(),
        reason,
    };
    allowed(url).map_err(http)?;
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::NativeTls)
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(TIMEOUT))
        // Error answers carry the OAuth2 error code in their body: read them.
        .http_status_as_error(false)
        // A token endpoint never redirects; following one could send the form elsewhere.
        .max_redirects(0)
        .user_agent(concat!("tanto/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("Accept", "application/json")
        .send_form(form.iter().copied())
        .map_err(|e| http(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|e| http(e.to_string()))?;
    let json: Value = match serde_json::from_str(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(OAuthError::BadAnswer {
                url: url.to_string(),
                reason: format!("HTTP {status}, not a JSON object"),
            })
        }
    };
    Ok(Answer { status, json })
}

/// https, or http to this machine (a test server); the config checks the same.
fn allowed(url: &str) -> std::result::Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = crate::settings::is_loopback(host.trim_matches(|c| c == '[' || c == ']'));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("only https:// is allowed (http:// only on this machine)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_this_machine() {
        assert!(allowed("https://login.microsoftonline.com/x").is_ok());
        assert!(allowed("http://127.0.0.1:8000/token").is_ok());
        assert!(allowed("http://[::1]:8000/token").is_ok());
        assert!(allowed("http://login.example.com/token").is_err());
        assert!(allowed("ftp://127.0.0.1/").is_err());
    }

    #[test]
    fn a_long_description_is_cut_to_its_first_line() {
        let a = Answer {
            status: 400,
            json: serde_json::json!({
                "error": "invalid_grant",
                "error_description": "AADSTS70008: The refresh token has expired.\r\nTrace ID: 1\r\nCorrelation ID: 2"
            }),
        };
        assert_eq!(a.error(), Some("invalid_grant"));
        assert_eq!(
            a.description(),
            "AADSTS70008: The refresh token has expired."
        );
    }
}
