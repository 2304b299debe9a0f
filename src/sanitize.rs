//! TEMPORARY STUB (replaced by the real module).
pub fn single_line(s: &str) -> String { s.to_string() }
pub fn for_display(s: &str) -> String { s.to_string() }
