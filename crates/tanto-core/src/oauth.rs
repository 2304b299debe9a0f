//! OAuth2 decisions as plain functions: what a device-flow poll answer means (RFC 8628
//! §3.5), whether a stored access token is still good enough to use, and the SASL strings
//! a token is sent in.

/// Seconds before its expiry at which an access token is refreshed: a connection opened
/// with it must not meet a token that dies during the login.
pub const REFRESH_MARGIN_SECS: i64 = 60;

/// What to do after one poll of the token endpoint during the device flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// The user has not finished yet: ask again after `interval` seconds.
    Pending { interval: u64 },
    /// The provider asks to poll less often: from now on every `interval` seconds (RFC 8628:
    /// the previous interval plus 5).
    SlowDown { interval: u64 },
    /// The code expired before the user finished: start again with `tanto login`.
    Expired,
    /// The user (or an admin policy) refused.
    Denied,
    /// Any other error the provider named (`invalid_client`, `invalid_grant`, ...).
    Failed { error: String },
}

/// Reads the `error` of a token endpoint's answer during the device flow, polled every
/// `interval` seconds until now.
pub fn poll_answer(error: &str, interval: u64) -> Poll {
    match error {
        "authorization_pending" => Poll::Pending { interval },
        "slow_down" => Poll::SlowDown {
            interval: interval + 5,
        },
        "expired_token" => Poll::Expired,
        "access_denied" => Poll::Denied,
        other => Poll::Failed {
            error: other.to_string(),
        },
    }
}

/// The polling interval a device authorization answer asks for: RFC 8628 says 5 seconds
/// when it names none; a nonsense 0 is read as 1 (never a busy loop).
pub fn first_interval(given: Option<u64>) -> u64 {
    given.unwrap_or(5).max(1)
}

/// True when an access token expiring at `expires_at` (seconds since the epoch) can still
/// be used at `now`, with `REFRESH_MARGIN_SECS` to spare.
pub fn token_usable(expires_at: i64, now: i64) -> bool {
    now + REFRESH_MARGIN_SECS < expires_at
}

/// The SASL XOAUTH2 initial response (Google's and Microsoft's mechanism), before base64.
pub fn xoauth2(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// The SASL OAUTHBEARER initial response (RFC 7628), before base64.
pub fn oauthbearer(user: &str, host: &str, port: u16, token: &str) -> String {
    // A comma or an equals sign in the authzid is escaped (RFC 5801).
    let user = user.replace('=', "=3D").replace(',', "=2C");
    format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_poll_answer_of_rfc_8628_has_its_meaning() {
        let cases = [
            ("authorization_pending", 5, Poll::Pending { interval: 5 }),
            ("slow_down", 5, Poll::SlowDown { interval: 10 }),
            ("slow_down", 10, Poll::SlowDown { interval: 15 }),
            ("expired_token", 5, Poll::Expired),
            ("access_denied", 5, Poll::Denied),
            (
                "invalid_client",
                5,
                Poll::Failed {
                    error: "invalid_client".into(),
                },
            ),
        ];
        for (error, interval, want) in cases {
            assert_eq!(poll_answer(error, interval), want, "{error}");
        }
        assert_eq!(first_interval(None), 5);
        assert_eq!(first_interval(Some(0)), 1);
        assert_eq!(first_interval(Some(3)), 3);
    }

    #[test]
    fn a_token_is_refreshed_a_minute_before_it_expires() {
        assert!(token_usable(1000, 900));
        assert!(token_usable(1000, 939));
        assert!(!token_usable(1000, 940));
        assert!(!token_usable(1000, 2000));
    }

    #[test]
    fn the_sasl_strings_are_as_the_providers_document_them() {
        assert_eq!(
            xoauth2("support@example.com", "tok"),
            "user=support@example.com\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(
            oauthbearer("a,b=c", "imap.example.com", 993, "tok"),
            "n,a=a=2Cb=3Dc,\x01host=imap.example.com\x01port=993\x01auth=Bearer tok\x01\x01"
        );
    }
}
