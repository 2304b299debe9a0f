//! TEMPORARY STUB (replaced by the real module).
use crate::core::model::{Headers, Rendered};
pub fn parse_headers(_raw: &[u8]) -> Headers { Headers::default() }
pub fn render(raw: &[u8]) -> Rendered { Rendered { text: String::from_utf8_lossy(raw).into(), attachments: vec![] } }
