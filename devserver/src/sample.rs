//! Deterministic sample messages.

/// A deterministic, realistic customer message (CRLF line endings).
///
/// `i` numbers the message: Message-ID `<msg{i}@customer.example>`, Date = 2024-01-01 08:00 UTC
/// plus `i` × 5 minutes. `thread_of: Some(root)` makes it a reply in the thread started by
/// message `root`: Subject `Re: Question {root}`, `In-Reply-To` and `References` pointing at
/// `<msg{root}@customer.example>`. The sender is `customer{root}@customer.example`, so all
/// messages of a thread come from the same customer. `None` (or `Some(i)`) starts a thread:
/// Subject `Question {i}`.
pub fn sample_message(i: usize, thread_of: Option<usize>) -> Vec<u8> {
    let root = thread_of.unwrap_or(i);
    let reply = root != i;
    let n = root;
    let date = rfc5322_date(1_704_096_000 + 300 * i as u64);
    let mut m = String::new();
    m.push_str(&format!("Return-Path: <customer{n}@customer.example>\r\n"));
    m.push_str(&format!(
        "From: Customer {n} <customer{n}@customer.example>\r\n"
    ));
    m.push_str("To: Example Support <support@example.com>\r\n");
    if reply {
        m.push_str(&format!("Subject: Re: Question {root}\r\n"));
    } else {
        m.push_str(&format!("Subject: Question {root}\r\n"));
    }
    m.push_str(&format!("Date: {date}\r\n"));
    m.push_str(&format!("Message-ID: <msg{i}@customer.example>\r\n"));
    if reply {
        m.push_str(&format!("In-Reply-To: <msg{root}@customer.example>\r\n"));
        m.push_str(&format!("References: <msg{root}@customer.example>\r\n"));
    }
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    m.push_str("Content-Transfer-Encoding: 7bit\r\n");
    m.push_str("\r\n");
    m.push_str("Hello,\r\n\r\n");
    if reply {
        m.push_str(&format!(
            "I am writing again about question {root}: it is still not solved.\r\n\
             This is message {i}.\r\n"
        ));
    } else {
        m.push_str(&format!(
            "I have question {root} about my order #{}: it has not arrived yet.\r\n\
             Could you please check? This is message {i}.\r\n",
            10_000 + root
        ));
    }
    m.push_str(&format!("\r\nThanks,\r\nCustomer {n}\r\n"));
    m.into_bytes()
}

/// `Mon, 1 Jan 2024 08:00:00 +0000` for a Unix time.
fn rfc5322_date(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} +0000",
        WD[(days % 7) as usize],
        d,
        MON[(m - 1) as usize],
        y,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 -> (year, month 1-12, day 1-31). (H. Hinnant's algorithm.)
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
