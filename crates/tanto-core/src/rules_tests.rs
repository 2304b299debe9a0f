use super::*;

fn addr(name: Option<&str>, email: &str) -> Address {
    Address {
        name: name.map(str::to_string),
        email: email.to_string(),
    }
}

fn mail() -> Mail {
    Mail {
        from: vec![addr(Some("Kenji Sato"), "kenji@bigcustomer.example")],
        to: vec![addr(None, "support@team.example")],
        cc: vec![
            addr(None, "boss@bigcustomer.example"),
            addr(Some("Legal"), "legal@bigcustomer.example"),
        ],
        subject: "Refund for order #1234".into(),
        headers: vec![("X-Priority".into(), "1 (Highest)".into())],
        body: "Hello,\nplease refund order 1234.\n返金をお願いします。\n".into(),
    }
}

fn rules(text: &str) -> Vec<Rule> {
    parse(text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn one(matcher: &str) -> Verdict {
    evaluate(
        &rules(&format!("[[rule]]\nname = \"r\"\n{matcher}\ntag = \"t\"\n")),
        &mail(),
    )
}

#[test]
fn each_matcher_in_each_kind_matches_and_misses() {
    // (matcher line, should match)
    let cases = [
        // from
        ("from = \"KENJI@bigcustomer.example\"", true),
        ("from = \"kenji@other.example\"", false),
        ("from = \"kenji sato\"", true),
        ("from = { glob = \"*@bigcustomer.example\" }", true),
        ("from = { glob = \"*@other.*\" }", false),
        ("from = { regex = \"^kenji@\" }", true),
        ("from = { regex = \"^sato@\" }", false),
        // to
        ("to = \"support@team.example\"", true),
        ("to = \"sales@team.example\"", false),
        ("to = { glob = \"support@*\" }", true),
        ("to = { glob = \"sales@*\" }", false),
        ("to = { regex = \"team\\\\.example$\" }", true),
        ("to = { regex = \"^sales\" }", false),
        // cc: any one address
        ("cc = \"legal@bigcustomer.example\"", true),
        ("cc = \"kenji@bigcustomer.example\"", false),
        ("cc = { glob = \"boss@*\" }", true),
        ("cc = { glob = \"ceo@*\" }", false),
        ("cc = { regex = \"^legal$\" }", true),
        ("cc = { regex = \"^ceo\" }", false),
        // subject: exact is the whole subject
        ("subject = \"refund for order #1234\"", true),
        ("subject = \"refund\"", false),
        ("subject = { glob = \"*refund*\" }", true),
        ("subject = { glob = \"refund*\" }", true),
        ("subject = { glob = \"*invoice*\" }", false),
        ("subject = { regex = \"order #\\\\d+\" }", true),
        ("subject = { regex = \"invoice\" }", false),
        // any header by name, its name in any case
        ("header.x-priority = \"1 (highest)\"", true),
        ("header.X-Priority = \"1\"", false),
        ("header.X-Priority = { glob = \"1*\" }", true),
        ("header.X-Priority = { glob = \"5*\" }", false),
        ("header.X-Priority = { regex = \"^1\\\\b\" }", true),
        ("header.X-Mailer = { regex = \".\" }", false),
        // body: exact is the whole text; glob across lines; regex anywhere
        ("body = \"please refund\"", false),
        (
            "body = \"Hello,\\nplease refund order 1234.\\n返金をお願いします。\"",
            true,
        ),
        ("body = { glob = \"*refund order*\" }", true),
        ("body = { glob = \"*invoice*\" }", false),
        ("body = { regex = \"返金\" }", true),
        ("body = { regex = \"cancel\" }", false),
    ];
    for (m, want) in cases {
        let v = one(m);
        assert_eq!(v.any(), want, "{m}");
        let check = &v.rules[0].checks[0];
        assert_eq!(check.matched, want, "{m}");
        assert_eq!(check.value.is_some(), want, "{m}");
    }
}

#[test]
fn case_sensitive_rules_compare_as_written() {
    let text = "[[rule]]\nname = \"r\"\ncase_sensitive = true\n";
    for (m, want) in [
        ("subject = \"Refund for order #1234\"", true),
        ("subject = \"refund for order #1234\"", false),
        ("subject = { glob = \"refund*\" }", false),
        ("subject = { regex = \"^Refund\" }", true),
        ("subject = { regex = \"^refund\" }", false),
    ] {
        let r = rules(&format!("{text}{m}\ntag = \"t\"\n"));
        assert_eq!(evaluate(&r, &mail()).any(), want, "{m}");
    }
}

#[test]
fn all_needs_every_matcher_and_any_one() {
    let both = "from = { glob = \"*@bigcustomer.example\" }\nsubject = { glob = \"*invoice*\" }";
    let all = rules(&format!("[[rule]]\nname = \"r\"\n{both}\ntag = \"t\"\n"));
    let v = evaluate(&all, &mail());
    assert!(!v.any());
    assert_eq!(
        v.rules[0]
            .checks
            .iter()
            .map(|c| c.matched)
            .collect::<Vec<_>>(),
        [true, false]
    );
    let any = rules(&format!(
        "[[rule]]\nname = \"r\"\nmatch = \"any\"\n{both}\ntag = \"t\"\n"
    ));
    assert!(evaluate(&any, &mail()).any());
    let none = rules(
        "[[rule]]\nname = \"r\"\nmatch = \"any\"\nfrom = \"x@y.z\"\nsubject = \"no\"\ntag = \"t\"\n",
    );
    assert!(!evaluate(&none, &mail()).any());
}

const BIG: &str = "from = { glob = \"*@bigcustomer.example\" }";

#[test]
fn the_tag_action_adds_up_over_matching_rules() {
    let r = rules(&format!(
        "[[rule]]\nname = \"a\"\n{BIG}\ntag = \"vip\"\n\
         [[rule]]\nname = \"b\"\n{BIG}\ntag = [\"refund\", \"vip\"]\n"
    ));
    let v = evaluate(&r, &mail());
    assert_eq!(v.actions.tags, ["vip", "refund"]);
    assert_eq!(v.matched, ["a", "b"]);
}

#[test]
fn the_assign_action_names_the_agent_and_the_first_one_wins() {
    let r = rules(&format!(
        "[[rule]]\nname = \"a\"\n{BIG}\nassign = \"bob\"\n\
         [[rule]]\nname = \"b\"\n{BIG}\nassign = \"carol\"\n"
    ));
    let v = evaluate(&r, &mail());
    assert_eq!(v.actions.assign.as_deref(), Some("bob"));
    assert_eq!(v.actions.status, None);
}

#[test]
fn the_status_action_sets_done_or_wip() {
    for (s, want) in [
        ("done", Status::Done),
        ("wip", Status::Wip),
        ("new", Status::New),
    ] {
        let r = rules(&format!(
            "[[rule]]\nname = \"a\"\n{BIG}\nstatus = \"{s}\"\n"
        ));
        assert_eq!(evaluate(&r, &mail()).actions.status, Some(want));
    }
}

#[test]
fn the_noise_action_calls_it_noise() {
    let r = rules(&format!("[[rule]]\nname = \"a\"\n{BIG}\nnoise = true\n"));
    let v = evaluate(&r, &mail());
    assert!(v.actions.noise);
    // A later rule's status does not undo the first one's verdict.
    let r = rules(&format!(
        "[[rule]]\nname = \"a\"\n{BIG}\nnoise = true\n[[rule]]\nname = \"b\"\n{BIG}\nstatus = \"done\"\n"
    ));
    let v = evaluate(&r, &mail());
    assert!(v.actions.noise);
    assert_eq!(v.actions.status, None);
}

#[test]
fn the_stop_action_leaves_later_rules_unlooked_at() {
    let r = rules(&format!(
        "[[rule]]\nname = \"a\"\n{BIG}\ntag = \"vip\"\nstop = true\n\
         [[rule]]\nname = \"b\"\n{BIG}\ntag = \"refund\"\n"
    ));
    let v = evaluate(&r, &mail());
    assert_eq!(v.actions.tags, ["vip"]);
    assert!(v.rules[1].skipped && !v.rules[1].matched);
    // A stop on a rule that does not match stops nothing.
    let r = rules(&format!(
        "[[rule]]\nname = \"a\"\nfrom = \"x@y.z\"\nstop = true\n\
         [[rule]]\nname = \"b\"\n{BIG}\ntag = \"refund\"\n"
    ));
    assert_eq!(evaluate(&r, &mail()).actions.tags, ["refund"]);
}

#[test]
fn a_bad_rules_file_names_the_rule_the_key_and_the_fix() {
    let cases = [
        ("[[rule]]\nfrom = \"a@b\"\ntag = \"t\"\n", "rule[1]", "name"),
        (
            "[[rule]]\nname = \"x\"\nfrom = \"a@b\"\ntag = \"t\"\n[[rule]]\nname = \"vip\"\nsubject = { regex = \"(\" }\ntag = \"t\"\n",
            "rule[2] \"vip\"",
            "subject",
        ),
        (
            "[[rule]]\nname = \"g\"\nfrom = { glob = \"[a\" }\ntag = \"t\"\n",
            "rule[1] \"g\"",
            "from",
        ),
        (
            "[[rule]]\nname = \"g\"\nfrom = { glob = \"a\", regex = \"b\" }\ntag = \"t\"\n",
            "rule[1] \"g\"",
            "from",
        ),
        ("[[rule]]\nname = \"t\"\nfrom = \"a@b\"\ntag = \"Bad Tag\"\n", "rule[1] \"t\"", "tag"),
        ("[[rule]]\nname = \"t\"\nfrom = \"a@b\"\nassign = \"Bob!\"\n", "rule[1] \"t\"", "assign"),
        ("[[rule]]\nname = \"t\"\nfrom = \"a@b\"\nstatus = \"closed\"\n", "rule[1] \"t\"", "status"),
        ("[[rule]]\nname = \"t\"\nfrom = \"a@b\"\nmatch = \"most\"\ntag = \"x\"\n", "rule[1] \"t\"", "match"),
        ("[[rule]]\nname = \"t\"\ntag = \"x\"\n", "rule[1] \"t\"", "from"),
        ("[[rule]]\nname = \"t\"\nfrom = \"a@b\"\n", "rule[1] \"t\"", "tag"),
        (
            "[[rule]]\nname = \"t\"\nfrom = \"a@b\"\nnoise = true\nassign = \"bob\"\n",
            "rule[1] \"t\"",
            "noise",
        ),
    ];
    for (text, place, key) in cases {
        let e = parse(text).expect_err(text);
        assert_eq!((e.place.as_str(), e.key.as_str()), (place, key), "{text}");
        assert!(!e.fix.is_empty());
    }
    let e = parse("[[rule]]\nname = \"t\"\nfrom = \"a@b\"\ntag = \"x\"\n[[rule]]\nname = \"u\"\nfrm = \"a\"\n")
        .expect_err("unknown key");
    assert!(e.place.starts_with("rule[2]"), "{e:?}");
    assert!(e.problem.contains("frm"), "{e:?}");
}

#[test]
fn tags_are_read_from_keywords_in_any_case() {
    let flags = [
        "\\Seen",
        "tanto-tag-vip",
        "TANTO-TAG-Refund",
        "tanto-tag-",
        "tanto-wip",
    ];
    assert_eq!(tags_of(&flags), ["refund", "vip"]);
    assert!(valid_tag("a-b_9") && !valid_tag("") && !valid_tag("A") && !valid_tag(&"a".repeat(25)));
    assert!(touched(&["TANTO-RULED"]) && !touched(&["\\Seen", "$Label1"]));
}

#[test]
fn the_actions_become_one_flag_list_with_the_ruled_keyword() {
    let a = Actions {
        tags: vec!["vip".into()],
        assign: Some("bob".into()),
        ..Actions::default()
    };
    assert_eq!(
        flags_after(&["\\Seen"], &a),
        [
            "\\Seen",
            "tanto-wip",
            "tanto-by-bob",
            "tanto-tag-vip",
            "tanto-ruled"
        ]
    );
    let done = Actions {
        status: Some(Status::Done),
        assign: Some("bob".into()),
        ..Actions::default()
    };
    assert_eq!(
        flags_after::<&str>(&[], &done),
        ["tanto-done", "tanto-by-bob", "tanto-ruled"]
    );
    let noise = Actions {
        noise: true,
        ..Actions::default()
    };
    assert_eq!(
        flags_after::<&str>(&[], &noise),
        ["tanto-noise", "tanto-ruled"]
    );
    // A rule that matched nothing still marks the message as looked at.
    assert_eq!(
        flags_after::<&str>(&[], &Actions::default()),
        ["tanto-ruled"]
    );
    let s = crate::status::status_of(&flags_after::<&str>(&[], &a), false);
    assert_eq!(s, Status::Wip);
}
