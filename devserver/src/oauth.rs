//! A local OAuth2 provider on 127.0.0.1 for the sign-in tests: the device authorization
//! endpoint and the token endpoint of RFC 8628 / RFC 6749, and a token introspection
//! endpoint (RFC 7662) that Dovecot's `oauth2` passdb and the SMTP sink ask whether a token
//! is good. Written in Python with the standard library only (`http.server`), run by
//! `/usr/bin/python3` like the SMTP sink; it exits when its parent (the test) is gone.
//!
//! What it answers is scripted through files in its dir, read at each request, so that a
//! test can change them while it runs: see [`OAuthMock::script`], [`OAuthMock::lifetime`],
//! [`OAuthMock::revoke_access_tokens`] and [`OAuthMock::revoke_refresh_tokens`]. Every
//! request is logged ([`OAuthMock::requests`]).

use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::Child;
use std::time::Duration;

use crate::sys::{make_temp_dir, pick_free_port, start_python, PYTHON};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);

/// The provider. Tokens are random; each access token is good for `<root>/lifetime`
/// seconds (default 3600) and names `username` at introspection. Refresh tokens rotate at
/// each refresh (the old one stays good, as with Microsoft's).
const SCRIPT: &str = r#"
import json, os, secrets, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, root, username = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
devices = {}      # device_code -> expiry time
access = {}       # access token -> expiry time
refresh = set()   # good refresh tokens

def read(name, default=""):
    try:
        with open(os.path.join(root, name), encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return default

def take(name):
    path = os.path.join(root, name)
    if os.path.exists(path):
        os.remove(path)
        return True
    return False

def next_answer():
    # The device grant's next scripted answer (one per line in <root>/plan), consumed.
    lines = read("plan").splitlines()
    if not lines:
        return None
    with open(os.path.join(root, "plan"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines[1:]))
    return lines[0].strip()

def grant():
    token = "at-" + secrets.token_hex(16)
    new_refresh = "rt-" + secrets.token_hex(16)
    lifetime = int(read("lifetime", "3600"))
    access[token] = time.time() + lifetime
    refresh.add(new_refresh)
    with open(os.path.join(root, "issued"), "a", encoding="utf-8") as f:
        f.write(token + "\n")
    return 200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                 "refresh_token": new_refresh, "scope": "imap smtp"}

def error(code, description=""):
    return 400, {"error": code, "error_description": description}

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
        path = urllib.parse.urlparse(self.path).path
        with lock:
            if take("revoke-access"):
                access.clear()
            if take("revoke-refresh"):
                refresh.clear()
            status, body = self.answer(path, form)
            entry = {"t": time.time(), "path": path, "grant_type": form.get("grant_type", ""),
                     "client_id": form.get("client_id", ""), "scope": form.get("scope", ""),
                     "status": status, "error": body.get("error", ""),
                     "active": body.get("active")}
            with open(os.path.join(root, "requests.log"), "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self, path, form):
        if path == "/device":
            if not form.get("client_id"):
                return error("invalid_client", "no client_id")
            code = "dc-" + secrets.token_hex(8)
            devices[code] = time.time() + int(read("code_lifetime", "600"))
            uri = "http://127.0.0.1:%d/activate" % port
            return 200, {"device_code": code, "user_code": "WDJB-MJHT",
                         "verification_uri": uri,
                         "verification_uri_complete": uri + "?user_code=WDJB-MJHT",
                         "expires_in": int(read("code_lifetime", "600")),
                         "interval": int(read("interval", "1"))}
        if path == "/token":
            kind = form.get("grant_type")
            if kind == "urn:ietf:params:oauth:grant-type:device_code":
                expiry = devices.get(form.get("device_code"))
                if expiry is None:
                    return error("invalid_grant", "unknown device code")
                if time.time() > expiry:
                    return error("expired_token")
                answer = next_answer()
                if answer:
                    return error(answer, "scripted")
                del devices[form["device_code"]]
                return grant()
            if kind == "refresh_token":
                if form.get("refresh_token") not in refresh:
                    return error("invalid_grant", "AADSTS70008: The refresh token has expired.\r\nTrace ID: x")
                return grant()
            return error("unsupported_grant_type")
        if path == "/introspect":
            expiry = access.get(form.get("token"))
            if expiry is None or time.time() > expiry:
                return 200, {"active": False}
            return 200, {"active": True, "username": username}
        return 404, {"error": "not_found"}

server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("READY", flush=True)
parent = os.getppid()
while os.getppid() == parent:
    time.sleep(0.2)
server.shutdown()
"#;

/// One request the provider answered.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthRequest {
    /// Seconds since the epoch.
    pub at: f64,
    /// `/device`, `/token` or `/introspect`.
    pub path: String,
    pub grant_type: String,
    pub client_id: String,
    pub scope: String,
    pub status: u16,
    /// The `error` answered, if any.
    pub error: String,
    /// For `/introspect`: whether the token was active.
    pub active: Option<bool>,
}

/// A running provider owned by a test. Dropping it stops it and deletes its files.
pub struct OAuthMock {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl OAuthMock {
    /// Starts a provider whose tokens sign in as `username` (the IMAP login they are for).
    pub fn start(username: &str) -> OAuthMock {
        let dir = make_temp_dir("tanto-dovecot-");
        fs::write(dir.path().join("oauth.py"), SCRIPT).expect("write the provider's script");
        let mut mock = OAuthMock {
            port: 0,
            dir,
            child: None,
        };
        let mut last = String::new();
        for _ in 0..5 {
            mock.port = pick_free_port();
            match mock.spawn(username) {
                Ok(()) => return mock,
                Err(why) => last = why,
            }
        }
        panic!("the OAuth2 provider ({PYTHON}) did not start on 127.0.0.1: {last}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The token introspection endpoint (RFC 7662: POST `token=...`).
    pub fn introspection_url(&self) -> String {
        self.url("/introspect")
    }

    /// The `[mailbox.oauth2]` table of a tanto config using this provider.
    pub fn config_toml(&self) -> String {
        format!(
            "\n[mailbox.oauth2]\nprovider = \"custom\"\nclient_id = \"tanto-test\"\n\
             device_authorization_url = \"{}\"\ntoken_url = \"{}\"\n\
             scopes = [\"imap\", \"smtp\", \"offline_access\"]\n",
            self.url("/device"),
            self.url("/token")
        )
    }

    /// Config lines for [`crate::Dovecot::start_with`]: XOAUTH2 and OAUTHBEARER checked by
    /// Dovecot's `oauth2` passdb against this provider's introspection endpoint (password
    /// logins keep working for the tests' own sessions).
    pub fn dovecot_conf(&self) -> String {
        self.dovecot_conf_offering("xoauth2 oauthbearer")
    }

    /// Like `dovecot_conf`, the server offering only `mechanisms` of the two.
    pub fn dovecot_conf_offering(&self, mechanisms: &str) -> String {
        let ext = self.dir.path().join("dovecot-oauth2.conf.ext");
        fs::write(
            &ext,
            format!(
                "introspection_mode = post\nintrospection_url = {}\nforce_introspection = yes\n\
                 username_attribute = username\nactive_attribute = active\nactive_value = true\n",
                self.introspection_url()
            ),
        )
        .expect("write dovecot-oauth2.conf.ext");
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&ext, fs::Permissions::from_mode(0o644)).expect("chmod");
        format!(
            "auth_mechanisms = plain login {mechanisms}\n\
             passdb {{\n  driver = oauth2\n  mechanisms = {mechanisms}\n  args = {}\n}}\n",
            ext.display()
        )
    }

    /// The device grant's next answers, in order, before a token is granted:
    /// `authorization_pending`, `slow_down`, `expired_token`, `access_denied`, ...
    pub fn script(&self, answers: &[&str]) {
        fs::write(self.dir.path().join("plan"), answers.join("\n")).expect("write the plan");
    }

    /// Access tokens granted from now on last `secs` seconds.
    pub fn lifetime(&self, secs: u64) {
        fs::write(self.dir.path().join("lifetime"), secs.to_string()).expect("write lifetime");
    }

    /// Device codes given from now on expire after `secs` seconds.
    pub fn code_lifetime(&self, secs: u64) {
        fs::write(self.dir.path().join("code_lifetime"), secs.to_string())
            .expect("write code lifetime");
    }

    /// Every access token granted so far stops being active (at the next request).
    pub fn revoke_access_tokens(&self) {
        fs::write(self.dir.path().join("revoke-access"), "").expect("write revoke-access");
    }

    /// Every refresh token granted so far stops working: a refresh gets `invalid_grant`.
    pub fn revoke_refresh_tokens(&self) {
        fs::write(self.dir.path().join("revoke-refresh"), "").expect("write revoke-refresh");
    }

    /// Every access token granted so far, oldest first.
    pub fn issued(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("issued"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<OAuthRequest> {
        let text = fs::read_to_string(self.dir.path().join("requests.log")).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let field = |k: &str| -> String {
                    let key = format!("\"{k}\": ");
                    let Some(at) = l.find(&key) else {
                        return String::new();
                    };
                    let rest = &l[at + key.len()..];
                    let end = rest.find([',', '}']).unwrap_or(rest.len());
                    rest[..end].trim().trim_matches('"').to_string()
                };
                Some(OAuthRequest {
                    at: field("t").parse().ok()?,
                    path: field("path"),
                    grant_type: field("grant_type"),
                    client_id: field("client_id"),
                    scope: field("scope"),
                    status: field("status").parse().ok()?,
                    error: field("error"),
                    active: match field("active").as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// The token endpoint's requests of grant type `grant` (`refresh_token`, or
    /// `urn:ietf:params:oauth:grant-type:device_code`).
    pub fn token_requests(&self, grant: &str) -> Vec<OAuthRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == "/token" && r.grant_type == grant)
            .collect()
    }

    fn spawn(&mut self, username: &str) -> Result<(), String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let args = [
            self.port.to_string(),
            self.dir.path().display().to_string(),
            username.to_string(),
        ];
        let script = self.dir.path().join("oauth.py");
        let log = self.dir.path().join("oauth.log");
        self.child = Some(start_python(&script, &args, &log, STARTUP_TIMEOUT, || {
            answers(addr)
        })?);
        Ok(())
    }
}

impl Drop for OAuthMock {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// True when the provider answers an HTTP request on `addr` (its 404 for `/`).
fn answers(addr: SocketAddr) -> bool {
    let Ok(mut tcp) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
    if tcp
        .write_all(b"POST /ready HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut line = String::new();
    BufReader::new(&tcp).read_line(&mut line).is_ok() && line.starts_with("HTTP/1.0 404")
}
