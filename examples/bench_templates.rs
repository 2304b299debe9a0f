//! Template ranking with 500 templates and 10,000 past replies: the index build once, then
//! the ranking of one mail (the target is under 20 ms, so it can rank as the reader opens).
//! Run in release: `cargo run --release --example bench_templates`.

use std::time::{Duration, Instant};

use tanto_core::templates::{Index, Template};

const WORDS: &[&str] = &[
    "注文",
    "配送",
    "返品",
    "交換",
    "請求書",
    "領収書",
    "パスワード",
    "ログイン",
    "解約",
    "会員",
    "ポイント",
    "有効期限",
    "在庫",
    "入荷",
    "キャンセル",
    "支払い",
    "クーポン",
    "保証",
    "修理",
    "order",
    "refund",
    "invoice",
    "login",
    "cancel",
    "delivery",
    "account",
    "price",
    "warranty",
    "repair",
    "coupon",
    "subscription",
    "tracking",
    "address",
    "payment",
    "stock",
];

/// A deterministic pseudo-random word stream (no extra crate).
struct Words(u64);

impl Words {
    fn next(&mut self) -> &'static str {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        WORDS[(self.0 % WORDS.len() as u64) as usize]
    }

    fn text(&mut self, n: usize, sep: &str) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(sep)
    }
}

fn main() {
    let mut w = Words(0x2545_f491_4f6c_dd1d);
    let templates: Vec<Template> = (0..500)
        .map(|i| Template {
            name: format!("template {i}"),
            body: format!(
                "{}様\nお問い合わせありがとうございます。{}。\n{}\n",
                "{{customer_name}}",
                w.text(40, "について、"),
                w.text(20, " ")
            ),
        })
        .collect();
    let history: Vec<(String, String)> = (0..10_000)
        .map(|i| {
            (
                format!("template {}", (i * 7919) % 500),
                format!("{}。\n> {}", w.text(60, "の件、"), w.text(30, " ")),
            )
        })
        .collect();
    let start = Instant::now();
    let index = Index::build(&templates, &history);
    let build = start.elapsed();
    let mails: Vec<String> = (0..200)
        .map(|_| format!("{}。{}", w.text(25, "の"), w.text(10, " ")))
        .collect();
    let mut times: Vec<Duration> = mails
        .iter()
        .map(|m| {
            let t = Instant::now();
            let top = index.rank(m, 3);
            let e = t.elapsed();
            assert_eq!(top.len(), 3);
            e
        })
        .collect();
    times.sort();
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!("500 templates, 10000 past replies: index built in {build:.1?}");
    println!(
        "ranking one mail over 200 mails: median {:.2?}, p99 {:.2?}, max {:.2?} (target < 20 ms)",
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
}
