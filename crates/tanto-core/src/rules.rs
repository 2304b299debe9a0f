//! The team's rules (`[[rule]]` in the rules file): which rule matches a new message, why
//! (every matcher's result), and what the matching rules do. Plain functions over plain
//! data: the application reads the file and the message, and writes what `evaluate` says.
//!
//! Matching is case-insensitive unless a rule says `case_sensitive = true`. `exact` and
//! `glob` compare the whole value; `regex` searches anywhere in it (as grep does). From, To
//! and Cc match when any one address (or its display name) does.

use serde::{Deserialize, Serialize};

use crate::model::Address;
use crate::status::Status;

/// A tag name: `[a-z0-9_-]{1,24}`, as it sits in the keyword `tanto-tag-<name>`.
pub fn valid_tag(name: &str) -> bool {
    (1..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The keyword prefix of a tag.
pub const KW_TAG_PREFIX: &str = "tanto-tag-";
/// Set, with the rules' other keywords in one compare-and-set, on a message the rules have
/// been applied to: the record that they were, so they never run twice.
pub const KW_RULED: &str = "tanto-ruled";

/// The keyword for the tag `name`.
pub fn tag_keyword(name: &str) -> String {
    format!("{KW_TAG_PREFIX}{name}")
}

/// The tags the flags carry (valid names only, lower case, sorted, once each).
pub fn tags_of<S: AsRef<str>>(flags: &[S]) -> Vec<String> {
    let mut v: Vec<String> = flags
        .iter()
        .filter_map(|f| {
            let f = f.as_ref();
            f.get(..KW_TAG_PREFIX.len())
                .filter(|p| p.eq_ignore_ascii_case(KW_TAG_PREFIX))
                .and_then(|_| f.get(KW_TAG_PREFIX.len()..))
                .map(str::to_ascii_lowercase)
        })
        .filter(|t| valid_tag(t))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// True when a person or a rule has already acted on a message (any of tanto's keywords):
/// the rules leave it alone.
pub fn touched<S: AsRef<str>>(flags: &[S]) -> bool {
    flags.iter().any(|f| {
        f.as_ref()
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("tanto-"))
    })
}

/// Which part of a message a matcher looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    From,
    To,
    Cc,
    Subject,
    /// A header by name (compared case-insensitively).
    Header(String),
    Body,
}

impl Field {
    /// How the rules file names it: `from`, `header.X-Priority`, ...
    pub fn key(&self) -> String {
        match self {
            Field::From => "from".into(),
            Field::To => "to".into(),
            Field::Cc => "cc".into(),
            Field::Subject => "subject".into(),
            Field::Header(h) => format!("header.{h}"),
            Field::Body => "body".into(),
        }
    }
}

/// How a matcher compares.
#[derive(Debug, Clone)]
pub enum Pattern {
    Exact(String),
    Glob(globset::GlobMatcher),
    Regex(regex::Regex),
}

impl Pattern {
    /// `exact`, `glob` or `regex`.
    pub fn kind(&self) -> &'static str {
        match self {
            Pattern::Exact(_) => "exact",
            Pattern::Glob(_) => "glob",
            Pattern::Regex(_) => "regex",
        }
    }

    /// The pattern as written.
    pub fn text(&self) -> &str {
        match self {
            Pattern::Exact(s) => s,
            Pattern::Glob(g) => g.glob().glob(),
            Pattern::Regex(r) => r.as_str(),
        }
    }

    fn matches(&self, value: &str, case_sensitive: bool) -> bool {
        match self {
            Pattern::Exact(s) if case_sensitive => value.trim() == s,
            Pattern::Exact(s) => value.trim().to_lowercase() == s.to_lowercase(),
            Pattern::Glob(g) => g.is_match(value.trim()),
            Pattern::Regex(r) => r.is_match(value),
        }
    }
}

/// One matcher of a rule.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub field: Field,
    pub pattern: Pattern,
}

/// Whether a rule needs all its matchers or any one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    All,
    Any,
}

/// What a matching rule does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Actions {
    pub noise: bool,
    pub tags: Vec<String>,
    pub assign: Option<String>,
    pub status: Option<Status>,
    pub stop: bool,
}

/// One rule, checked.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub mode: Mode,
    pub case_sensitive: bool,
    pub matchers: Vec<Matcher>,
    pub actions: Actions,
}

/// The message as the rules see it: decoded header values and the readable body text.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    /// Other headers by name (the ones the rules name: `header_names`), decoded.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// One matcher's result, for `tanto rules test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub field: String,
    pub kind: &'static str,
    pub pattern: String,
    pub matched: bool,
    /// The value that matched (first line, cut short), when one did.
    pub value: Option<String>,
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    /// 1-based, as the file orders them.
    pub index: usize,
    pub name: String,
    pub matched: bool,
    /// Not looked at: an earlier matching rule said `stop`.
    pub skipped: bool,
    pub checks: Vec<Check>,
}

/// What the rules do to a message, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub rules: Vec<RuleResult>,
    /// The matching rules' actions together: tags add up; noise, status and assign come
    /// from the first matching rule that sets them.
    pub actions: Actions,
    /// The names of the rules that matched, in order.
    pub matched: Vec<String>,
}

impl Verdict {
    /// True when some rule matched.
    pub fn any(&self) -> bool {
        !self.matched.is_empty()
    }
}

/// The header names the rules look at (besides from, to, cc and subject).
pub fn header_names(rules: &[Rule]) -> Vec<String> {
    let mut v: Vec<String> = rules
        .iter()
        .flat_map(|r| &r.matchers)
        .filter_map(|m| match &m.field {
            Field::Header(h) => Some(h.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Runs the rules in order over `mail`.
pub fn evaluate(rules: &[Rule], mail: &Mail) -> Verdict {
    let mut out = Verdict::default();
    let mut stopped = false;
    let mut state_set = false;
    for (i, rule) in rules.iter().enumerate() {
        if stopped {
            out.rules.push(RuleResult {
                index: i + 1,
                name: rule.name.clone(),
                matched: false,
                skipped: true,
                checks: Vec::new(),
            });
            continue;
        }
        let checks: Vec<Check> = rule
            .matchers
            .iter()
            .map(|m| check(m, mail, rule.case_sensitive))
            .collect();
        let matched = match rule.mode {
            Mode::All => checks.iter().all(|c| c.matched),
            Mode::Any => checks.iter().any(|c| c.matched),
        };
        if matched {
            out.matched.push(rule.name.clone());
            let a = &rule.actions;
            for t in &a.tags {
                if !out.actions.tags.contains(t) {
                    out.actions.tags.push(t.clone());
                }
            }
            let sets_state = a.noise || a.status.is_some() || a.assign.is_some();
            if sets_state && !state_set {
                state_set = true;
                out.actions.noise = a.noise;
                out.actions.status = a.status;
                out.actions.assign = a.assign.clone();
            }
            stopped = a.stop;
            out.actions.stop |= a.stop;
        }
        out.rules.push(RuleResult {
            index: i + 1,
            name: rule.name.clone(),
            matched,
            skipped: false,
            checks,
        });
    }
    out
}

fn check(m: &Matcher, mail: &Mail, case_sensitive: bool) -> Check {
    let values: Vec<&str> = match &m.field {
        Field::From => addresses(&mail.from),
        Field::To => addresses(&mail.to),
        Field::Cc => addresses(&mail.cc),
        Field::Subject => vec![mail.subject.as_str()],
        Field::Header(h) => mail
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(h))
            .map(|(_, v)| v.as_str())
            .collect(),
        Field::Body => vec![mail.body.as_str()],
    };
    let hit = values
        .into_iter()
        .find(|v| m.pattern.matches(v, case_sensitive));
    Check {
        field: m.field.key(),
        kind: m.pattern.kind(),
        pattern: m.pattern.text().to_string(),
        matched: hit.is_some(),
        value: hit.map(shown),
    }
}

fn addresses(list: &[Address]) -> Vec<&str> {
    list.iter()
        .flat_map(|a| std::iter::once(a.email.as_str()).chain(a.name.as_deref()))
        .collect()
}

/// A matched value as `rules test` shows it: its first line, at most 60 characters.
fn shown(v: &str) -> String {
    let line = v.trim().lines().next().unwrap_or_default();
    let mut s: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        s.push('…');
    }
    s
}

/// The complete new flag list of an untouched message once the rules' `actions` are applied:
/// its flags kept, the status keywords they give (noise; done or wip with the assignee as
/// owner), the tags, and `tanto-ruled`, so that one compare-and-set writes it all.
pub fn flags_after<S: AsRef<str>>(flags: &[S], a: &Actions) -> Vec<String> {
    use crate::status::{owner_keyword, KW_DONE, KW_NOISE, KW_WIP};
    let mut out: Vec<String> = flags
        .iter()
        .map(|f| f.as_ref().to_string())
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .collect();
    let mut add = |k: String| {
        if !out.iter().any(|f| f.eq_ignore_ascii_case(&k)) {
            out.push(k);
        }
    };
    if a.noise {
        add(KW_NOISE.to_string());
    } else if a.status == Some(Status::Done) {
        add(KW_DONE.to_string());
    } else if a.status == Some(Status::Wip) || a.assign.is_some() {
        add(KW_WIP.to_string());
    }
    if let (false, Some(agent)) = (a.noise, &a.assign) {
        add(owner_keyword(agent));
    }
    for t in &a.tags {
        add(tag_keyword(t));
    }
    add(KW_RULED.to_string());
    out
}

/// What is wrong with a rules file, for the config's error: which rule, which key, the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// `rule[2] "refunds"` or the file's top level.
    pub place: String,
    pub key: String,
    pub problem: String,
    pub fix: String,
}

/// A pattern as the file writes it: a plain string (exact) or `{ glob = ".." }`,
/// `{ regex = ".." }`, `{ exact = ".." }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawPattern {
    Plain(String),
    Table(RawPatternTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPatternTable {
    exact: Option<String>,
    glob: Option<String>,
    regex: Option<String>,
}

/// One `[[rule]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    name: Option<String>,
    #[serde(rename = "match", default)]
    mode: Option<String>,
    #[serde(default)]
    case_sensitive: bool,
    from: Option<RawPattern>,
    to: Option<RawPattern>,
    cc: Option<RawPattern>,
    subject: Option<RawPattern>,
    body: Option<RawPattern>,
    #[serde(default)]
    header: std::collections::BTreeMap<String, RawPattern>,
    #[serde(default)]
    noise: bool,
    tag: Option<RawTags>,
    assign: Option<String>,
    status: Option<String>,
    #[serde(default)]
    stop: bool,
}

/// `tag = "x"` or `tag = ["x", "y"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawTags {
    One(String),
    Many(Vec<String>),
}

/// The rules file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    #[serde(default)]
    rule: Vec<RawRule>,
}

/// Parses and checks a rules file's text.
pub fn parse(text: &str) -> Result<Vec<Rule>, RuleError> {
    let raw: RawRules = toml::from_str(text).map_err(|e| RuleError {
        place: locate(text, e.span()),
        key: "rule".into(),
        problem: e.message().to_string(),
        fix: "write each rule as a [[rule]] table with name, matchers (from, to, cc, \
              subject, body, header.NAME) and actions (noise, tag, assign, status, stop)"
            .into(),
    })?;
    raw.rule
        .into_iter()
        .enumerate()
        .map(|(i, r)| check_rule(i, r))
        .collect()
}

/// Which rule a syntax error is in, from its place in the text.
fn locate(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(at) = span.map(|s| s.start) else {
        return "the file".into();
    };
    let before = text.get(..at).unwrap_or(text);
    let n = before
        .lines()
        .filter(|l| l.trim_start().starts_with("[[rule]]"))
        .count();
    let line = before.lines().count().max(1);
    if n == 0 {
        format!("line {line}")
    } else {
        format!("rule[{n}] (line {line})")
    }
}

fn check_rule(i: usize, r: RawRule) -> Result<Rule, RuleError> {
    let name = r.name.clone().unwrap_or_default();
    let place = if name.is_empty() {
        format!("rule[{}]", i + 1)
    } else {
        format!("rule[{}] {name:?}", i + 1)
    };
    let err = |key: &str, problem: String, fix: &str| RuleError {
        place: place.clone(),
        key: key.to_string(),
        problem,
        fix: fix.to_string(),
    };
    if name.trim().is_empty() {
        return Err(err(
            "name",
            "is missing".into(),
            "give the rule a name, e.g. name = \"refunds\"",
        ));
    }
    let mode = match r.mode.as_deref() {
        None | Some("all") => Mode::All,
        Some("any") => Mode::Any,
        Some(other) => {
            return Err(err(
                "match",
                format!("is {other:?}"),
                "write match = \"all\" (every matcher) or match = \"any\" (one is enough)",
            ))
        }
    };
    let mut fields: Vec<(Field, RawPattern)> = Vec::new();
    for (f, p) in [
        (Field::From, r.from),
        (Field::To, r.to),
        (Field::Cc, r.cc),
        (Field::Subject, r.subject),
        (Field::Body, r.body),
    ] {
        if let Some(p) = p {
            fields.push((f, p));
        }
    }
    for (h, p) in r.header {
        fields.push((Field::Header(h), p));
    }
    if fields.is_empty() {
        return Err(err(
            "from",
            "(no matcher: the rule would match every message)".into(),
            "add at least one of from, to, cc, subject, body or header.NAME",
        ));
    }
    let mut matchers = Vec::new();
    for (field, p) in fields {
        let key = field.key();
        matchers.push(Matcher {
            pattern: pattern(p, r.case_sensitive)
                .map_err(|(problem, fix)| err(&key, problem, fix))?,
            field,
        });
    }
    let tags = match r.tag {
        None => Vec::new(),
        Some(RawTags::One(t)) => vec![t],
        Some(RawTags::Many(v)) => v,
    };
    for t in &tags {
        if !valid_tag(t) {
            return Err(err(
                "tag",
                format!("has {t:?}, not 1-24 of a-z 0-9 _ -"),
                "use a short lower-case tag such as \"refund\"",
            ));
        }
    }
    if let Some(a) = &r.assign {
        if !crate::agent::valid_id(a) {
            return Err(err(
                "assign",
                format!("is {a:?}, not an agent id (1-16 of a-z 0-9 _ -)"),
                "name the agent as in their [agent] id, e.g. assign = \"bob\"",
            ));
        }
    }
    let status = match r.status.as_deref() {
        None => None,
        Some(s) => match Status::parse(s) {
            Some(Status::Noise) | None => {
                return Err(err(
                    "status",
                    format!("is {s:?}"),
                    "write status = \"new\", \"wip\" or \"done\" (noise = true for noise)",
                ))
            }
            Some(st) => Some(st),
        },
    };
    if r.noise && (status.is_some() || r.assign.is_some()) {
        return Err(err(
            "noise",
            "is set beside status or assign".into(),
            "a rule either calls mail noise or gives it a status or an agent: keep one",
        ));
    }
    if status == Some(Status::New) && r.assign.is_some() {
        return Err(err(
            "status",
            "is \"new\" beside assign (an assigned conversation is in progress)".into(),
            "drop status, or write status = \"wip\" or \"done\"",
        ));
    }
    let actions = Actions {
        noise: r.noise,
        tags,
        assign: r.assign,
        status,
        stop: r.stop,
    };
    if actions == Actions::default() {
        return Err(err(
            "tag",
            "(no action: the rule would do nothing)".into(),
            "add at least one of noise, tag, assign, status or stop",
        ));
    }
    Ok(Rule {
        name,
        mode,
        case_sensitive: r.case_sensitive,
        matchers,
        actions,
    })
}

fn pattern(p: RawPattern, case_sensitive: bool) -> Result<Pattern, (String, &'static str)> {
    const ONE: &str = "write a string (exact), or one of { exact = \"..\" }, { glob = \"..\" }, \
                       { regex = \"..\" }";
    let (kind, text) = match p {
        RawPattern::Plain(s) => ("exact", s),
        RawPattern::Table(t) => match (t.exact, t.glob, t.regex) {
            (Some(s), None, None) => ("exact", s),
            (None, Some(s), None) => ("glob", s),
            (None, None, Some(s)) => ("regex", s),
            _ => return Err(("has not exactly one of exact, glob, regex".into(), ONE)),
        },
    };
    if text.is_empty() {
        return Err(("is empty".into(), ONE));
    }
    match kind {
        "glob" => globset::GlobBuilder::new(&text)
            .case_insensitive(!case_sensitive)
            .literal_separator(false)
            .build()
            .map(|g| Pattern::Glob(g.compile_matcher()))
            .map_err(|e| {
                (
                    format!("has the glob {text:?}, which does not parse: {}", e.kind()),
                    "use * (any text), ? (one character), [abc] (one of), {a,b} (either)",
                )
            }),
        "regex" => regex::RegexBuilder::new(&text)
            .case_insensitive(!case_sensitive)
            .size_limit(1 << 20)
            .build()
            .map(Pattern::Regex)
            .map_err(|e| {
                let why = e.to_string();
                let last = why.lines().last().unwrap_or_default().to_string();
                (
                    format!("has the regex {text:?}, which does not parse: {last}"),
                    "fix the regular expression (Rust regex syntax; escape . ( [ with \\\\)",
                )
            }),
        _ => Ok(Pattern::Exact(text)),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
