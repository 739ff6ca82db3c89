//! The `exec` store: run `command... KEY` (no shell; a relative program with
//! a `/` is relative to the declaring config file's directory, a bare name is
//! found on PATH), stdout without its final
//! newline (`\n` or `\r\n`) is the value; a non-zero exit is an error showing
//! the command's stderr; a bounded time (the store's `timeout`, default 30 s).
//! A command that runs an interpreter's inline code (`sh -c`, `python -c`,
//! ..., see [`runs_code`]) makes its keys code: the trust diff rates a
//! change of one high.
//!
//! stdin is `/dev/null`: a store runs from the shell hook, where nothing may
//! wait for the keyboard. The whole run, including reading the pipes, is
//! bounded: a command that leaves a background process holding stdout open
//! does not hang dsops. The value is at most 16 MiB.
//!
//! The command runs in a process group of its own, so that a timeout ends
//! it and everything it started (a wrapper script's children too), not just
//! the direct child; and it is killed if dsops itself dies (Ctrl-C at the
//! prompt), since the terminal's signals no longer reach its group.

use super::{Batch, Cx, FetchError, Fetched, Kind, Status};
use crate::config::diff::Risk;
use crate::config::schema::{Field, Schema, Shape};
use crate::config::{Reference, Store};
use crate::error::{Error, Result};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Larger output is refused: no secret is this big, a runaway command is.
const MAX_VALUE: u64 = 16 << 20;
/// How much of stderr an error shows.
const MAX_STDERR: u64 = 4 << 10;

/// Read a pipe to its end (at most `limit` + 1 bytes) on a thread; the result
/// arrives on the returned channel.
fn drain(mut pipe: impl Read + Send + 'static, limit: u64) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = (&mut pipe).take(limit + 1).read_to_end(&mut b);
        // Keep draining (and discarding) so the command never blocks on a
        // full pipe after the limit.
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        let _ = tx.send(b);
    });
    rx
}

pub struct Exec;

const FIELDS: &[Field] = &[
    Field::new("command", Shape::List, Risk::High),
    Field::new("timeout", Shape::Seconds, Risk::Low),
];

/// Without a `timeout`, a command may take this long.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl Schema for Exec {
    fn name(&self) -> &'static str {
        "exec"
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }
    fn check(&self, store: &Store) -> std::result::Result<(), (&'static str, String)> {
        if store.list("command").is_empty() {
            return Err(("", "an exec store needs command: [program, args...]".into()));
        }
        Ok(())
    }
    fn key_is_code(&self, store: &Store) -> bool {
        runs_code(store.list("command"))
    }
}

/// Interpreters and the options after which their next word is code.
/// A shell's `-c` may come in a cluster (`-ec`, `-xc`).
const INTERPRETERS: &[(&[&str], &[&str])] = &[
    (
        &[
            "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "fish", "csh", "tcsh",
            "busybox",
        ],
        &["-c", "--command"],
    ),
    (&["python", "pypy"], &["-c"]),
    (
        &["node", "nodejs", "bun", "deno"],
        &["-e", "--eval", "-p", "--print", "eval"],
    ),
    (&["perl"], &["-e", "-E"]),
    (&["ruby", "jruby"], &["-e"]),
    (&["php"], &["-r"]),
    (&["lua", "luajit"], &["-e"]),
    (&["osascript", "rscript"], &["-e"]),
    (
        &["pwsh", "powershell"],
        &["-c", "-command", "-encodedcommand", "-e", "-ec"],
    ),
    (&["tclsh", "wish", "expect"], &["-c"]),
    (&["awk", "gawk", "mawk", "nawk"], &[]),
];

/// Does `command` (with the key appended) run code from the config or from
/// the key: an interpreter (also behind `env`) given inline code, or given
/// no script so that the key itself is the script? (`python3 tools/get.py`
/// runs a file, and its key is an argument.)
pub fn runs_code(command: &[String]) -> bool {
    let mut words = command.iter().map(String::as_str).peekable();
    // `env [-i] [-u NAME] [NAME=value]... program ...`; `env -S` splits a
    // string into a command line: code in any case.
    let base = |w: &str| {
        let name = w
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(w)
            .to_ascii_lowercase();
        let name = name.strip_suffix(".exe").unwrap_or(&name).to_string();
        name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
            .to_string()
    };
    let mut program = None;
    while let Some(w) = words.next() {
        if base(w) == "env" && program.is_none() {
            while let Some(&next) = words.peek() {
                if next == "-S" || next.starts_with("--split-string") {
                    return true;
                } else if next == "-u" || next == "--unset" || next == "-C" || next == "--chdir" {
                    words.next();
                    words.next();
                } else if next.starts_with('-') || next.contains('=') {
                    words.next();
                } else {
                    break;
                }
            }
            continue;
        }
        program = Some(base(w));
        break;
    }
    let Some(program) = program else {
        return false;
    };
    let Some((_, flags)) = INTERPRETERS
        .iter()
        .find(|(names, _)| names.contains(&program.as_str()))
    else {
        return false;
    };
    if flags.is_empty() {
        // awk: its first operand is the program.
        return true;
    }
    let shell = INTERPRETERS[0].0.contains(&program.as_str());
    for w in words {
        let lower = w.to_ascii_lowercase();
        let cluster = shell && w.starts_with('-') && !w.starts_with("--") && w.contains('c');
        if flags.contains(&lower.as_str()) || cluster {
            return true;
        }
        if !w.starts_with('-') {
            // A script file: the key is its argument.
            return false;
        }
    }
    // No script: the key is the script (or the code).
    true
}

impl Kind for Exec {
    fn describe(&self) -> &'static str {
        "the output of a command, run with the key as its last argument (no shell)"
    }

    fn fetch(&self, cx: &Cx, store: &Store, refs: &[Reference]) -> Result<Batch> {
        // Each key is its own process: run them side by side, so an env set
        // of several keys takes as long as the slowest, not the sum.
        let timeout = cx
            .opts
            .timeout
            .min(store.seconds("timeout").unwrap_or(DEFAULT_TIMEOUT));
        let mut out = Fetched::new();
        std::thread::scope(|scope| {
            let runs: Vec<_> = refs
                .iter()
                .map(|r| (r, scope.spawn(move || run(store, &r.key, timeout))))
                .collect();
            for (r, run) in runs {
                let value = run
                    .join()
                    .unwrap_or_else(|_| Err(Error::runtime("the exec store panicked")));
                out.insert(r.clone(), value.map_err(FetchError::Failed));
            }
        });
        Ok(Batch::of(out))
    }

    fn probe(&self, _cx: &Cx, store: &Store) -> Vec<(Status, String)> {
        let program = program(store).unwrap_or_default();
        vec![match find_program(&program.to_string_lossy()) {
            Some(p) => (Status::Ok, format!("runs {}", crate::text::path(&p))),
            None => (
                Status::Fail,
                format!(
                    "{} is not an executable on PATH",
                    crate::text::path(&program)
                ),
            ),
        }]
    }
}

/// `name` as `execvp` would find it: a path, or the first executable on PATH.
pub fn find_program(name: &str) -> Option<std::path::PathBuf> {
    let executable = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| crate::platform::is_executable(&m))
    };
    if name.contains('/') || (cfg!(windows) && name.contains('\\')) {
        let p = std::path::PathBuf::from(name);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    // Windows finds `tool` as `tool.exe` (and the other PATHEXT defaults).
    let suffixes: &[&str] = if cfg!(windows) {
        &["", ".exe", ".com", ".bat", ".cmd"]
    } else {
        &[""]
    };
    std::env::split_paths(&path)
        .flat_map(|d| suffixes.iter().map(move |s| d.join(format!("{name}{s}"))))
        .find(|p| executable(p))
}

/// The program to run: `command[0]`, and when it is a relative path (it
/// has a `/`), relative to the directory of the config file that declares
/// the store, never the working directory: entering a subdirectory of a
/// project must not make dsops run that subdirectory's `tools/get`. A bare
/// name is looked up on PATH.
pub fn program(store: &Store) -> Option<std::path::PathBuf> {
    let first = store.list("command").first()?;
    Some(if first.contains('/') {
        store.beside_origin(first)
    } else {
        std::path::PathBuf::from(first)
    })
}

pub fn run(store: &Store, key: &str, timeout: Duration) -> Result<String> {
    let command = store.list("command");
    let Some(path) = program(store) else {
        return Err(store.error("command", "the list is empty"));
    };
    let program = crate::text::path(&path);
    let start = Instant::now();
    let mut cmd = Command::new(&path);
    cmd.args(&command[1..])
        .arg(key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::platform::own_group(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::runtime(format!("cannot run {program}: {e}")))?;
    // The child and all it starts (a process group; a Job object on Windows).
    let group = crate::platform::Group::of(&child);
    // Both pipes are drained on threads so a chatty command cannot block on
    // a full pipe. `spawn` with piped stdio always sets both handles.
    let out_rx = drain(child.stdout.take().expect("stdout is piped"), MAX_VALUE);
    let err_rx = drain(child.stderr.take().expect("stderr is piped"), MAX_STDERR);
    let too_slow = || {
        Error::runtime(format!(
            "{program} did not finish within {}s",
            timeout.as_secs_f64()
        ))
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                group.kill();
                let _ = child.wait();
                return Err(too_slow());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(Error::runtime(format!("waiting for {program}: {e}"))),
        }
    };
    // The command has exited; its pipes close unless it left a background
    // process holding them, which must not hang us either.
    let left = |s: Instant| {
        timeout
            .saturating_sub(s.elapsed())
            .max(Duration::from_millis(100))
    };
    let out = match out_rx.recv_timeout(left(start)) {
        Ok(out) => out,
        Err(_) => {
            // Something it started still holds stdout past the bound.
            group.kill();
            return Err(too_slow());
        }
    };
    let err = err_rx.recv_timeout(left(start)).unwrap_or_default();
    if !status.success() {
        // Its own words, but on one line and without terminal escapes.
        let text = String::from_utf8_lossy(&err);
        let lines: Vec<String> = text
            .lines()
            .map(|l| crate::text::outside_text(l, 500))
            .filter(|l| !l.is_empty())
            .collect();
        let msg = crate::text::outside_text(&lines.join(" / "), 500);
        return Err(Error::runtime(format!(
            "{program} exited with {}{}",
            status
                .code()
                .map(|c| format!("status {c}"))
                .unwrap_or_else(|| "a signal".to_string()),
            if msg.is_empty() {
                " (and printed nothing on stderr)".to_string()
            } else {
                format!(": {msg}")
            }
        )));
    }
    if out.len() as u64 > MAX_VALUE {
        return Err(Error::runtime(format!(
            "{program} printed more than {} MiB",
            MAX_VALUE >> 20
        )));
    }
    let mut s = String::from_utf8(out)
        .map_err(|_| Error::runtime(format!("{program} printed a value that is not UTF-8")))?;
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::runs_code;

    #[test]
    fn interpreters_running_code() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for yes in [
            &["sh", "-c"][..],
            &["/bin/bash", "-c", "op read \"$0\""],
            &["bash", "-ec"],
            &["zsh"],
            &["env", "-i", "A=1", "python3.12", "-c"],
            &["/usr/bin/env", "-S", "sh -c"],
            &["node", "--eval"],
            &["deno", "eval"],
            &["perl", "-E"],
            &["ruby", "-e"],
            &["awk"],
            &["pwsh", "-Command"],
        ] {
            assert!(runs_code(&v(yes)), "{yes:?}");
        }
        for no in [
            &["op", "read"][..],
            &["python3", "tools/get.py"],
            &["python3", "-m", "tool"],
            &["bash", "./get.sh"],
            &["./tools/get"],
            &["env", "op", "read"],
        ] {
            assert!(!runs_code(&v(no)), "{no:?}");
        }
    }
}
