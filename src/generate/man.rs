//! The man page, in roff with the man(7) macros. `mandoc -Tlint` must accept
//! it (tested). The date is fixed, not today's, so that generating twice
//! gives the same bytes; bump it when the page changes materially.

use super::*;
use crate::error::Exit;

const DATE: &str = "2026-11-22";

/// Plain text for a roff text line or macro argument: backslashes, minus
/// signs (so that `--store` copies as typed), tildes and carets, and a
/// leading control character.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for line in s.split('\n') {
        if !out.is_empty() {
            out.push('\n');
        }
        if line.starts_with(['.', '\'']) {
            out.push_str(r"\&");
        }
        for ch in line.chars() {
            match ch {
                '\\' => out.push_str(r"\e"),
                '-' => out.push_str(r"\-"),
                '~' => out.push_str(r"\(ti"),
                '^' => out.push_str(r"\(ha"),
                _ => out.push(ch),
            }
        }
    }
    out
}

/// Running text: escaped and filled into lines that `mandoc -Tlint` accepts
/// (at most 80 bytes, where no word is longer).
fn text(s: &str) -> String {
    let mut lines: Vec<String> = vec![];
    let mut line = String::new();
    let mut sentence_ended = false;
    for word in s.split_whitespace() {
        // roff wants each sentence on a line of its own (it sets the space
        // after a sentence by that), and lines short enough to read.
        let starts_sentence = sentence_ended && word.starts_with(|c: char| c.is_uppercase());
        sentence_ended = word.ends_with(['.', '!', '?']);
        let word = esc(word).trim_start_matches(r"\&").to_string();
        if !line.is_empty() && (starts_sentence || line.len() + 1 + word.len() > 78) {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    lines.push(line);
    lines
        .into_iter()
        .map(|l| {
            if l.starts_with(['.', '\'']) {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A macro argument in double quotes.
fn arg(s: &str) -> String {
    format!("\"{}\"", esc(s).replace('"', r"\(dq"))
}

/// `an aws.sso store` -> `An aws.sso store.`
fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Operands as in `[PATH]` or `-- CMD [ARGS...]`: upper-case words in italics.
fn operands(s: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            out.push_str(&format!(r"\fI{word}\fR"));
            word.clear();
        }
    };
    for ch in s.chars() {
        if ch.is_ascii_uppercase() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push_str(&esc(&ch.to_string()));
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `\fB\-s\fR, \fB\-\-store\fR \fINAME\fR`
fn flag_head(f: &Flag) -> String {
    let mut s = String::new();
    if let Some(c) = f.short {
        s.push_str(&format!(r"\fB\-{c}\fR, "));
    }
    s.push_str(&format!(r"\fB\-\-{}\fR", esc(f.long)));
    if let Some(v) = f.value {
        s.push_str(&format!(r" \fI{}\fR", esc(v)));
    }
    s
}

fn flag_entries(out: &mut String, cmd: Option<&Command>, flags: &[&Flag]) {
    for f in flags {
        out.push_str(".TP\n");
        out.push_str(&flag_head(f));
        out.push('\n');
        out.push_str(&text(&sentence(&f.help_in(cmd))));
        out.push('\n');
        if let Some(var) = f.env {
            out.push_str(&format!("Also set by \\fB{}\\fR.\n", esc(var)));
        }
    }
}

/// `dsops creds [--store NAME] [--no-login] ...` for the SYNOPSIS, an option
/// a line, so that the page breaks only between options.
fn synopsis(c: &Command) -> String {
    let mut s = format!(".SY {}\n", arg(&format!("dsops {}", c.name)));
    for name in c.flags {
        let f = cli::flag(name);
        s.push_str(&format!(r"[\fB\-\-{}\fR", esc(f.long)));
        if let Some(v) = f.value {
            s.push_str(&format!(r"\ \fI{}\fR", esc(v)));
        }
        s.push_str("]\n");
    }
    if !c.operands.is_empty() {
        s.push_str(&operands(c.operands));
        s.push('\n');
    }
    s.push_str(".YS\n");
    s
}

const DESCRIPTION: &str = r#".B dsops
has two jobs.
.PP
It is an AWS
.B credential_process
helper backed by AWS IAM Identity Center (formerly AWS SSO).
With
.RS 4
.EX
credential_process = dsops creds \-\-store aws\-sso\-prod
.EE
.RE
in
.IR \(ti/.aws/config ,
every AWS SDK and the AWS CLI get short\-lived role credentials from dsops.
It shares the AWS CLI's token cache and role\-credential cache in both
directions, and holds a lock over them, so that many parallel invocations
produce one browser sign\-in and one refresh.
.PP
It is also a direnv\-style shell integration.
With the hook installed, the shell, at each prompt and directory change,
finds the nearest
.I .dsops.yaml
(or
.IR dsops.yaml ),
resolves one of its env sets (secrets from AWS Secrets Manager, SSM Parameter
Store, SSO role credentials, literals, commands) and exports it; leaving the
directory restores the environment as it was.
A project config is used only after
.BR "dsops allow" ;
any edit needs a new allow.
.PP
The user config and the project config are merged by store and env name; the
project config wins.
The env set the hook loads is
.B DSOPS_ENV
if set, else the config's
.BR defaultEnv ,
else the only env set if there is exactly one.
.PP
Options may come before or after the command.
Help and version are answered before any config or file is read."#;

const EXAMPLES: &str = r#"Use an
.B aws.sso
store of the user config as the credentials of an AWS profile, in
.IR \(ti/.aws/config :
.PP
.RS 4
.EX
[profile prod]
credential_process = dsops creds \-\-store aws\-sso\-prod
.EE
.RE
.PP
The user config
.I \(ti/.config/dsops/config.yaml
that defines that store:
.PP
.RS 4
.EX
version: 1
secretStores:
  aws\-sso\-prod:
    type: aws.sso
    sso_start_url: https://my\-org.awsapps.com/start
    sso_region: us\-east\-1
    account_id: "123456789012"
    role_name: DeveloperAccess
.EE
.RE
.PP
Install the hook: in
.IR \(ti/.bashrc ,
.IR \(ti/.zshrc
and
.I \(ti/.config/fish/config.fish
respectively:
.PP
.RS 4
.EX
eval "$(dsops hook bash)"
eval "$(dsops hook zsh)"
dsops hook fish | source
.EE
.RE
.PP
Trust the project config of the current directory, then run a command with
its env set
.BR local :
.PP
.RS 4
.EX
dsops allow
dsops exec \-\-env local \-\- terraform plan
.EE
.RE
.PP
Sign in ahead of time, without a browser, and print an env set as a dotenv
file:
.PP
.RS 4
.EX
dsops login \-\-store aws\-sso\-prod \-\-no\-browser
dsops export \-\-env local \-\-format dotenv
.EE
.RE"#;

pub fn page() -> String {
    let mut s = String::new();
    s.push_str(
        ".\\\" Generated by `dsops --generate man` from the command table in src/cli.rs;\n.\\\" do not edit.\n",
    );
    s.push_str(&format!(
        ".TH DSOPS 1 {DATE} {} \"User Commands\"\n",
        arg(&format!("dsops {}", env!("CARGO_PKG_VERSION")))
    ));
    s.push_str(".SH NAME\n");
    s.push_str(&text(&format!("dsops - {}", cli::TAGLINE)));
    s.push('\n');

    s.push_str(".SH SYNOPSIS\n");
    s.push_str(".SY dsops\n[\\fIOPTIONS\\fR]\n\\fICOMMAND\\fR\n[\\fIARGS\\fR]\n.YS\n");
    for c in visible() {
        s.push_str(&synopsis(c));
    }

    s.push_str(".SH DESCRIPTION\n");
    s.push_str(DESCRIPTION);
    s.push('\n');

    s.push_str(".SH COMMANDS\n");
    s.push_str("Every command also takes the options under OPTIONS.\n");
    for c in visible() {
        let mut head = format!("dsops {}", c.name);
        if !c.operands.is_empty() {
            head.push(' ');
            head.push_str(c.operands);
        }
        s.push_str(&format!(".SS {}\n", arg(&head)));
        s.push_str(&text(&sentence(&c.about_text())));
        s.push('\n');
        let own: Vec<&Flag> = c.flags.iter().map(|n| cli::flag(n)).collect();
        flag_entries(&mut s, Some(c), &own);
        if !c.examples.is_empty() {
            s.push_str(
                ".PP
Examples:
",
            );
            for (line, what) in c.examples {
                s.push_str(&format!(
                    ".PP
.RS 4
.EX
{}
.EE
.RE
{}
",
                    esc(line),
                    text(&sentence(what))
                ));
            }
        }
    }

    s.push_str(".SH OPTIONS\n");
    flag_entries(&mut s, None, &top_flags());

    s.push_str(".SH STORE TYPES\n");
    s.push_str(&text(
        "The type: of a store in secretStores, and the fields each takes (besides type).",
    ));
    s.push('\n');
    for k in crate::stores::KINDS {
        let fields: Vec<&str> = k.fields().iter().map(|f| f.name).collect();
        s.push_str(&format!(
            ".TP\n.B {}\n{}\n",
            arg(k.name()),
            text(&format!(
                "{} Fields: {}.",
                sentence(k.describe()),
                fields.join(", ")
            ))
        ));
    }

    s.push_str(".SH ENVIRONMENT\n");
    for (var, what) in environment() {
        s.push_str(&format!(
            ".TP\n.B {}\n{}\n",
            esc(var),
            text(&sentence(&what))
        ));
    }

    s.push_str(".SH FILES\n");
    for (path, what) in FILES {
        s.push_str(&format!(".TP\n.I {}\n{}\n", arg(path), text(what)));
    }

    s.push_str(".SH EXIT STATUS\n");
    for e in Exit::ALL {
        s.push_str(&format!(
            ".TP\n.B {}\n{}\n",
            e.code(),
            text(&sentence(e.describe()))
        ));
    }

    s.push_str(".SH EXAMPLES\n");
    s.push_str(EXAMPLES);
    s.push('\n');

    s.push_str(".SH SEE ALSO\n");
    s.push_str(".BR aws (1),\n.BR direnv (1)\n");
    s
}
