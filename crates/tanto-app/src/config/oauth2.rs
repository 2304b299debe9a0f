//! Checks of `auth = "oauth2"` and `[mailbox.oauth2]`: every error names the key and the fix.

use super::schema::{Auth, Mailbox, Provider};
use super::ConfigError;

type Invalid<'a> = &'a dyn Fn(&str, &str, &str) -> ConfigError;

/// Checks mailbox `i`'s sign-in settings as far as OAuth2 is concerned.
pub(super) fn check(i: usize, m: &Mailbox, invalid: Invalid<'_>) -> Result<(), ConfigError> {
    let key = |k: &str| format!("mailbox[{i}].{k}");
    let smtp_auth = m.smtp.as_ref().map(|s| s.auth.unwrap_or(m.imap.auth));
    let uses = m.imap.auth == Auth::Oauth2 || smtp_auth == Some(Auth::Oauth2);
    let Some(o) = &m.oauth2 else {
        if uses {
            return Err(invalid(
                &key("oauth2"),
                "is missing (auth = \"oauth2\" needs it)",
                "add a [mailbox.oauth2] table with provider = \"microsoft\" (or \"google\", \"custom\") and client_id",
            ));
        }
        return Ok(());
    };
    if !uses {
        return Err(invalid(
            &key("imap.auth"),
            "is \"password\", but [mailbox.oauth2] is set",
            "set auth = \"oauth2\" in [mailbox.imap] to sign in with a token, or remove [mailbox.oauth2]",
        ));
    }
    let passwords = |table: &str, fields: [&Option<String>; 3]| -> Result<(), ConfigError> {
        let names = ["password_command", "password_env", "password"];
        match names.iter().zip(fields).find(|(_, f)| f.is_some()) {
            Some((name, _)) => Err(invalid(
                &key(&format!("{table}.{name}")),
                "is set, but auth = \"oauth2\" signs in with a token",
                "remove it: `tanto login` gets and keeps the token",
            )),
            None => Ok(()),
        }
    };
    if m.imap.auth == Auth::Oauth2 {
        let im = &m.imap;
        passwords(
            "imap",
            [&im.password_command, &im.password_env, &im.password],
        )?;
    }
    if let Some(s) = m.smtp.as_ref().filter(|_| smtp_auth == Some(Auth::Oauth2)) {
        passwords("smtp", [&s.password_command, &s.password_env, &s.password])?;
    }
    if o.client_id.trim().is_empty() {
        return Err(invalid(
            &key("oauth2.client_id"),
            "is empty",
            "copy the application (client) ID of the app registration",
        ));
    }
    match (&o.tenant, o.provider) {
        (Some(_), Provider::Google | Provider::Custom) => {
            return Err(invalid(
                &key("oauth2.tenant"),
                "is set, but only provider = \"microsoft\" has tenants",
                "remove it",
            ))
        }
        (Some(t), Provider::Microsoft)
            if t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
        {
            return Err(invalid(
                &key("oauth2.tenant"),
                &format!("is {t:?}, not a tenant id or domain"),
                "use \"organizations\", the tenant's id, or its domain (example.onmicrosoft.com)",
            ))
        }
        _ => {}
    }
    if o.provider == Provider::Google && o.client_secret.is_none() {
        return Err(invalid(
            &key("oauth2.client_secret"),
            "is missing: Google's device flow needs the client's secret",
            "copy it from the OAuth client (type \"TVs and Limited Input devices\") in the Google Cloud console",
        ));
    }
    let custom = o.provider == Provider::Custom;
    for (name, value, what) in [
        (
            "device_authorization_url",
            &o.device_authorization_url,
            "the provider's device authorization endpoint (RFC 8628)",
        ),
        ("token_url", &o.token_url, "the provider's token endpoint"),
    ] {
        match value {
            None if custom => {
                return Err(invalid(
                    &key(&format!("oauth2.{name}")),
                    "is missing (provider = \"custom\")",
                    &format!("give {what}"),
                ))
            }
            None => {}
            Some(u) => check_url(&key(&format!("oauth2.{name}")), u, invalid)?,
        }
    }
    match &o.scopes {
        None if custom => {
            return Err(invalid(
                &key("oauth2.scopes"),
                "is missing (provider = \"custom\")",
                "list the scopes that open IMAP (and SMTP), e.g. scopes = [\"imap\", \"offline_access\"]",
            ))
        }
        Some(s) if s.is_empty() || s.iter().any(|x| x.trim().is_empty()) => {
            return Err(invalid(
                &key("oauth2.scopes"),
                "is empty or holds an empty scope",
                "list the scopes that open IMAP (and SMTP), or remove it for the provider's",
            ))
        }
        _ => {}
    }
    Ok(())
}

/// An endpoint must be https, or http on a loopback host (a test server).
fn check_url(key: &str, u: &str, invalid: Invalid<'_>) -> Result<(), ConfigError> {
    let parsed = match url::Url::parse(u) {
        Ok(p) => p,
        Err(e) => {
            return Err(invalid(
                key,
                &format!("is {u:?}, not a URL ({e})"),
                "give the full https:// address",
            ))
        }
    };
    let loopback = parsed
        .host_str()
        .is_some_and(|h| super::is_loopback(h.trim_matches(|c| c == '[' || c == ']')));
    match parsed.scheme() {
        "https" if parsed.host_str().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(invalid(
            key,
            &format!("is {u:?}, not an https:// address"),
            "use the provider's https:// address (http:// only for a server on this machine)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{parse, Endpoints};

    const BASE: &str = r#"
[agent]
id = "alice"

[[mailbox]]
name = "support"
address = "support@example.com"
[mailbox.imap]
host = "outlook.office365.com"
user = "support@example.com"
"#;

    fn with(imap: &str, rest: &str) -> Result<crate::config::Config, String> {
        parse(&format!("{BASE}{imap}\n{rest}"), Path::new("t.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn microsoft_and_google_come_with_their_endpoints_and_scopes() {
        let c = with(
            "auth = \"oauth2\"",
            "[mailbox.oauth2]\nprovider = \"microsoft\"\nclient_id = \"abc\"\n",
        )
        .expect("parses");
        let m = c.mailbox(None).expect("mailbox");
        assert_eq!(m.imap.auth, crate::config::Auth::Oauth2);
        let e = m.oauth2.as_ref().and_then(|o| o.endpoints()).expect("ms");
        assert_eq!(
            e.device_authorization_url,
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode"
        );
        assert_eq!(
            e.token_url,
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
        );
        assert_eq!(
            e.scopes,
            [
                "https://outlook.office.com/IMAP.AccessAsUser.All",
                "https://outlook.office.com/SMTP.Send",
                "offline_access"
            ]
        );
        let c = with(
            "auth = \"oauth2\"",
            "[mailbox.oauth2]\nprovider = \"microsoft\"\nclient_id = \"abc\"\ntenant = \"contoso.onmicrosoft.com\"\n",
        )
        .expect("parses");
        let e = c.mailboxes[0].oauth2.as_ref().and_then(|o| o.endpoints());
        assert!(e.is_some_and(|e| e.token_url.contains("/contoso.onmicrosoft.com/oauth2/")));
        let c = with(
            "auth = \"oauth2\"",
            "[mailbox.oauth2]\nprovider = \"google\"\nclient_id = \"abc\"\nclient_secret = \"s\"\n",
        )
        .expect("parses");
        assert_eq!(
            c.mailboxes[0].oauth2.as_ref().and_then(|o| o.endpoints()),
            Some(Endpoints {
                device_authorization_url: "https://oauth2.googleapis.com/device/code".into(),
                token_url: "https://oauth2.googleapis.com/token".into(),
                scopes: vec!["https://mail.google.com/".into()],
            })
        );
        let shown = format!("{:?}", c.mailboxes[0].oauth2);
        assert!(!shown.contains("\"s\""), "{shown}");
    }

    #[test]
    fn a_custom_provider_on_this_machine_may_use_http() {
        let c = with(
            "auth = \"oauth2\"\ntls = \"tls\"",
            "[mailbox.oauth2]\nprovider = \"custom\"\nclient_id = \"abc\"\n\
             device_authorization_url = \"http://127.0.0.1:8080/device\"\n\
             token_url = \"http://localhost:8080/token\"\nscopes = [\"imap\"]\n",
        )
        .expect("parses");
        let e = c.mailboxes[0].oauth2.as_ref().and_then(|o| o.endpoints());
        assert_eq!(e.map(|e| e.scopes), Some(vec!["imap".to_string()]));
    }

    #[test]
    fn bad_oauth2_settings_name_the_key_and_the_fix() {
        let ms = "[mailbox.oauth2]\nprovider = \"microsoft\"\nclient_id = \"abc\"\n";
        let custom = |extra: &str| {
            format!(
                "[mailbox.oauth2]\nprovider = \"custom\"\nclient_id = \"abc\"\n\
                 device_authorization_url = \"https://id.example.com/device\"\n\
                 token_url = \"https://id.example.com/token\"\nscopes = [\"imap\"]\n{extra}"
            )
        };
        let cases: Vec<(&str, String, &str)> = vec![
            ("auth = \"oauth2\"", String::new(), "mailbox[0].oauth2"),
            ("auth = \"sso\"", ms.into(), "sso"),
            (
                "password_env = \"X\"",
                ms.into(),
                "mailbox[0].imap.auth` is \"password\"",
            ),
            (
                "auth = \"oauth2\"\npassword_env = \"X\"",
                ms.into(),
                "mailbox[0].imap.password_env",
            ),
            (
                "auth = \"oauth2\"",
                ms.replace("\"abc\"", "\"\""),
                "mailbox[0].oauth2.client_id",
            ),
            (
                "auth = \"oauth2\"",
                format!("{ms}tenant = \"a/b\"\n"),
                "mailbox[0].oauth2.tenant",
            ),
            (
                "auth = \"oauth2\"",
                "[mailbox.oauth2]\nprovider = \"google\"\nclient_id = \"abc\"\n".into(),
                "mailbox[0].oauth2.client_secret",
            ),
            (
                "auth = \"oauth2\"",
                "[mailbox.oauth2]\nprovider = \"google\"\nclient_id = \"a\"\nclient_secret = \"s\"\ntenant = \"x\"\n"
                    .into(),
                "mailbox[0].oauth2.tenant",
            ),
            (
                "auth = \"oauth2\"",
                format!("{ms}secret = \"x\"\n"),
                "secret",
            ),
            (
                "auth = \"oauth2\"",
                format!("{ms}[mailbox.smtp]\nhost = \"smtp.office365.com\"\npassword = \"p\"\n"),
                "mailbox[0].smtp.password",
            ),
        ];
        // A custom provider's endpoints: missing, or neither https nor on this machine.
        let custom_cases = [
            (
                "token_url = \"https://id.example.com/token\"\n",
                "",
                "token_url",
            ),
            ("scopes = [\"imap\"]\n", "", "scopes"),
            (
                "https://id.example.com/device",
                "http://id.example.com/device",
                "device_authorization_url",
            ),
            (
                "https://id.example.com/token",
                "id.example.com/token",
                "token_url",
            ),
        ];
        let cases = cases
            .into_iter()
            .chain(custom_cases.iter().map(|(from, to, key)| {
                let needle: &str = Box::leak(format!("mailbox[0].oauth2.{key}").into_boxed_str());
                ("auth = \"oauth2\"", custom("").replace(from, to), needle)
            }));
        for (imap, rest, needle) in cases {
            let e = with(imap, &rest).err().unwrap_or_default();
            assert!(e.contains(needle), "{e:?} should name {needle}");
            assert!(e.contains("fix"), "{e:?} should say the fix");
            assert!(!e.contains('\n'), "one line: {e:?}");
        }
        // SMTP may keep its password while IMAP uses a token, when it says so.
        assert!(with(
            "auth = \"oauth2\"",
            &format!("{ms}[mailbox.smtp]\nhost = \"smtp.example.com\"\nuser = \"u\"\nauth = \"password\"\npassword_env = \"P\"\n")
        )
        .is_ok());
    }
}
