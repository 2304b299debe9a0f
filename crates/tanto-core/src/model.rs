//! Plain data that every layer shares: what tanto knows about one message and one address.

use serde::{Deserialize, Serialize};

/// One mailbox address, already decoded (RFC 2047) and sanitized for display.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Display name, if any.
    pub name: Option<String>,
    /// The address itself, lower-cased in the domain part only.
    pub email: String,
}

/// The header fields tanto needs for the list, threading and the noise rules, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    pub subject: String,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub reply_to: Vec<Address>,
    /// Seconds since the Unix epoch from the Date header, when it parses.
    pub date: Option<i64>,
    /// Without the angle brackets.
    pub message_id: Option<String>,
    /// Without the angle brackets.
    pub in_reply_to: Vec<String>,
    /// Without the angle brackets, oldest first.
    pub references: Vec<String>,
    pub list_id: Option<String>,
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub x_autoreply: Option<String>,
    /// `type/subtype`, lower case, e.g. `multipart/report`.
    pub content_type: Option<String>,
    pub return_path: Option<String>,
    pub x_failed_recipients: Option<String>,
    /// Set on what tanto wrote: the agent's id.
    pub x_tanto_agent: Option<String>,
}

/// A message's rendered text and attachments, ready for `tanto show`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// The readable text: text/plain where there is one, else text converted from HTML.
    pub text: String,
    pub attachments: Vec<Attachment>,
}

/// An attachment as listed to the user; the name is safe to use as a file name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub name: String,
    pub mime_type: String,
    pub size: usize,
}

/// One message's metadata as the sync fetched it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageMeta {
    pub uid: u32,
    pub modseq: u64,
    pub flags: Vec<String>,
    /// IMAP INTERNALDATE, seconds since the epoch.
    pub internal_date: i64,
    pub size: u32,
    pub headers: Headers,
}

/// A flag change seen by a resync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagUpdate {
    pub uid: u32,
    pub modseq: u64,
    pub flags: Vec<String>,
}
