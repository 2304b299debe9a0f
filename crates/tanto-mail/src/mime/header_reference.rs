//! The header decoding as it was before `header_split`: mail-parser parses every field and
//! tanto reads the raw values from its offsets. Kept for the tests only, as the oracle the
//! fast path must agree with (`header_equivalence_tests`).

use mail_parser::{MessageParser, MimeHeaders};

use super::encoded_word::decode_header_value;
use super::header::{
    dedup_keep_first, fix_bare_cr, parse_addresses, parse_ids, parse_return_path, raw_text,
    set_once, HeaderInfo,
};
use super::repair::repair_header_block;
use crate::sanitize;

pub(super) fn header_info(raw: &[u8]) -> HeaderInfo {
    let fixed = fix_bare_cr(raw);
    let data = repair_header_block(&fixed);
    let mut info = HeaderInfo::default();
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse_headers(data.as_ref()));
    let Some(message) = parsed.ok().flatten() else {
        return info;
    };
    let hint = message
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(str::to_owned);
    let hint = hint.as_deref();
    let h = &mut info.headers;
    let mut subject: Option<String> = None;
    for header in message.headers() {
        let raw_value = data
            .get(header.offset_start as usize..header.offset_end as usize)
            .unwrap_or_default();
        match header.name.as_str().to_ascii_lowercase().as_str() {
            "subject" if subject.is_none() => {
                subject = Some(sanitize::single_line(&decode_header_value(raw_value, hint)));
            }
            "from" => h.from.extend(parse_addresses(raw_value, hint)),
            "to" => h.to.extend(parse_addresses(raw_value, hint)),
            "cc" => h.cc.extend(parse_addresses(raw_value, hint)),
            "reply-to" => h.reply_to.extend(parse_addresses(raw_value, hint)),
            "date" => {
                if h.date.is_none() {
                    h.date = header
                        .value
                        .as_datetime()
                        .filter(|d| d.is_valid())
                        .map(|d| d.to_timestamp());
                }
                if info.date_raw.is_none() {
                    info.date_raw = raw_text(raw_value, hint);
                }
            }
            "message-id" if h.message_id.is_none() => {
                h.message_id = parse_ids(raw_value).into_iter().next();
            }
            "in-reply-to" => h.in_reply_to.extend(parse_ids(raw_value)),
            "references" => h.references.extend(parse_ids(raw_value)),
            "list-id" => set_once(&mut h.list_id, raw_text(raw_value, hint)),
            "auto-submitted" => set_once(&mut h.auto_submitted, raw_text(raw_value, hint)),
            "precedence" => set_once(&mut h.precedence, raw_text(raw_value, hint)),
            "x-autoreply" => set_once(&mut h.x_autoreply, raw_text(raw_value, hint)),
            "x-failed-recipients" => {
                set_once(&mut h.x_failed_recipients, raw_text(raw_value, hint))
            }
            "x-tanto-agent" => set_once(&mut h.x_tanto_agent, raw_text(raw_value, hint)),
            "return-path" => set_once(&mut h.return_path, parse_return_path(raw_value)),
            _ => {}
        }
    }
    h.subject = subject.unwrap_or_default();
    dedup_keep_first(&mut h.in_reply_to);
    dedup_keep_first(&mut h.references);
    h.content_type = message.content_type().map(|ct| {
        let kind = match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        };
        sanitize::single_line(&kind).to_ascii_lowercase()
    });
    info
}
