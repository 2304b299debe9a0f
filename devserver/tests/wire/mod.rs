//! A raw IMAP client of the relay, for the relay's tests: what it reads is exactly what the
//! relay sent.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use tanto_devserver::Relay;

pub struct Wire {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

impl Wire {
    /// Connects to the relay and returns the client and the greeting.
    pub fn connect(relay: &Relay) -> (Wire, String) {
        let tcp = TcpStream::connect(("127.0.0.1", relay.port())).expect("connect to the relay");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        let mut wire = Wire {
            r: BufReader::new(tcp.try_clone().expect("clone")),
            w: tcp,
        };
        let greeting = wire.response();
        (wire, greeting)
    }

    /// One whole response, its literals' bytes inline.
    pub fn response(&mut self) -> String {
        self.try_response()
            .expect("the relay closed the connection")
    }

    /// One whole response, or None when the relay closed (or reset) the connection.
    pub fn try_response(&mut self) -> Option<String> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            match self.r.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read a line: {e}"),
            }
            out.extend_from_slice(&line);
            let text = String::from_utf8_lossy(&line);
            let Some(n) = text
                .trim_end()
                .strip_suffix('}')
                .and_then(|t| t.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            else {
                break;
            };
            let mut literal = vec![0; n];
            self.r.read_exact(&mut literal).expect("read a literal");
            out.extend_from_slice(&literal);
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).expect("write");
    }

    /// Sends `tag command` and reads up to its tagged response: (untagged, tagged).
    pub fn run(&mut self, tag: &str, command: &str) -> (Vec<String>, String) {
        self.send(format!("{tag} {command}\r\n").as_bytes());
        self.until(tag)
    }

    /// Reads responses up to the one tagged `tag`.
    pub fn until(&mut self, tag: &str) -> (Vec<String>, String) {
        let mut untagged = Vec::new();
        loop {
            let r = self.response();
            if r.starts_with(&format!("{tag} ")) {
                return (untagged, r.trim_end().to_string());
            }
            untagged.push(r);
        }
    }

    /// APPENDs `msg` with a synchronizing literal (waiting for `+`); the tagged response.
    pub fn append(&mut self, tag: &str, flags: &str, msg: &[u8]) -> String {
        self.send(format!("{tag} APPEND INBOX ({flags}) {{{}}}\r\n", msg.len()).as_bytes());
        let go = self.response();
        assert!(go.starts_with('+'), "{go}");
        self.send(msg);
        self.send(b"\r\n");
        self.until(tag).1
    }
}
