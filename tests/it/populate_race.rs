//! `sso populate` never loses someone else's edit: runs racing a writer that
//! appends a profile to the AWS config every few milliseconds (as `>>` or
//! an editor writing in place would) keep every profile it wrote.

use crate::support::*;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn accounts(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "accountId": format!("{:012}", 100_000_000_000u64 + i as u64),
                "accountName": format!("Team {i}"),
                "emailAddress": format!("t{i}@example.com"),
                "roles": ["Admin", "Dev"],
            })
        })
        .collect();
    Value::Array(list)
}

#[test]
fn populate_racing_a_writer_loses_none_of_its_profiles() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "us-east-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    idc.configure(json!({"accounts": accounts(30)}));
    sb.ok(&["login", "--sso-session", "my-sso"]);
    let config = sb.path(".aws/config");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, config) = (Arc::clone(&stop), config.clone());
        std::thread::spawn(move || {
            let mut n = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&config)
                    .unwrap();
                f.write_all(format!("\n[profile writer-{n}]\nregion = eu-west-1\n").as_bytes())
                    .unwrap();
                drop(f);
                n += 1;
                std::thread::sleep(Duration::from_millis(3));
            }
            n
        })
    };
    // Each run changes the file: the two templates take turns, and --prune
    // removes the other one's profiles.
    let runs = 40;
    let (mut replanned, mut appended, mut taken_in) = (0, 0, 0);
    for i in 0..runs {
        let template = if i % 2 == 0 {
            "{account_name}.{role_name}"
        } else {
            "{account_id}-{role_name}"
        };
        let out = sb.ok(&[
            "sso",
            "populate",
            "--prune",
            "--profile-name",
            template,
            "--debug",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        replanned += err.matches("changed while it was planned").count();
        appended += err.matches("added to as it was replaced").count();
        taken_in += err.matches("edited as it was replaced").count();
    }
    eprintln!(
        "{runs} runs: {replanned} re-plans before the rename; after it, {appended} additions carried over and {taken_in} edits planned in"
    );
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    let lost: Vec<usize> = (0..written)
        .filter(|n| !text.contains(&format!("[profile writer-{n}]\n")))
        .collect();
    assert!(
        written > runs,
        "the writer ran throughout: {written} writes"
    );
    assert_eq!(lost, Vec::<usize>::new(), "of {written} profiles written");
    for n in 0..written {
        assert_eq!(
            text.matches(&format!("[profile writer-{n}]\n")).count(),
            1,
            "writer-{n} once"
        );
    }
    // The last run's profiles are all there.
    assert_eq!(
        text.matches("# managed by dsops sso populate").count(),
        60,
        "{text}"
    );
    assert_eq!(text.matches("[profile 100000000029-Dev]").count(), 1);
}
