//! Settings from the environment, read in one place with one set of rules.
//!
//! - A switch variable (`DSOPS_QUIET`, `DSOPS_NO_LOGIN`, `CI`, ...) is on when
//!   it is set to anything but the empty string, `0`, `false`, `no` or `off`
//!   (any case). `CI=true`, `CI=1` and `DSOPS_NO_LOGIN=yes` are on;
//!   `CI=false` is off.
//! - A duration variable (`DSOPS_LOCK_TIMEOUT`, ...) is a number of seconds
//!   (`30`, `2.5`) or a compound duration (`90s`, `10m`, `1h30m`). It must be
//!   finite and not negative; a value above the variable's ceiling is clamped
//!   to it, so `1e19` waits a day, not forever, and never overflows a clock.
//!   Anything else is a usage error naming the variable.
//!
//! Values from the environment are user input: nothing here panics on them.

use crate::error::{Error, Result};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A variable's value, `None` when unset or empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `DSOPS_ENV` as the shell has it at the prompt (exported or not: the hook
/// passes its own value), `None` when unset or empty; bytes that are not
/// UTF-8 are replaced, so a name that cannot match is said as such.
pub fn env_set() -> Option<String> {
    std::env::var_os("DSOPS_ENV")
        .filter(|v| !v.is_empty())
        .map(|v| v.to_string_lossy().into_owned())
}

/// The one truthiness rule (see the module doc).
pub fn is_on(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || v == "0"
        || ["false", "no", "off"]
            .iter()
            .any(|f| v.eq_ignore_ascii_case(f)))
}

/// Is the switch variable `name` on?
pub fn switch(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| is_on(&v.to_string_lossy()))
}

// The variables the AWS SDKs and CLI define, read as they read them.

/// `AWS_CONFIG_FILE`.
pub fn aws_config_file() -> Option<String> {
    var("AWS_CONFIG_FILE")
}

/// `AWS_SHARED_CREDENTIALS_FILE`.
pub fn aws_credentials_file() -> Option<String> {
    var("AWS_SHARED_CREDENTIALS_FILE")
}

/// Credentials from the environment (`AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`, with `AWS_SESSION_TOKEN` when set), the first
/// link of the SDKs' default chain.
pub fn env_credentials() -> Option<(String, String, Option<String>)> {
    Some((
        var("AWS_ACCESS_KEY_ID")?,
        var("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN"),
    ))
}

/// `AWS_PROFILE`.
pub fn aws_profile() -> Option<String> {
    var("AWS_PROFILE")
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
pub fn aws_region() -> Option<String> {
    var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"))
}

/// `KUBERNETES_EXEC_INFO`, which kubectl sets for an exec plugin (at most
/// 64 KiB of it; a larger value is ignored).
pub fn kubernetes_exec_info() -> Option<String> {
    var("KUBERNETES_EXEC_INFO").filter(|v| v.len() <= 64 * 1024)
}

/// `SSH_CONNECTION` or `SSH_TTY`: this is an SSH session, whose browser
/// (if any) cannot reach back to 127.0.0.1 here.
pub fn ssh_session() -> bool {
    var("SSH_CONNECTION").is_some() || var("SSH_TTY").is_some()
}

/// `SHELL`: the user's login shell, as a path.
pub fn login_shell() -> Option<String> {
    var("SHELL")
}

/// The endpoint override of a service, in the SDKs' order: the service's
/// own variable (`AWS_ENDPOINT_URL_SSO_OIDC` for `SSO_OIDC`), then
/// `AWS_ENDPOINT_URL`; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns
/// both off.
pub fn endpoint_override(service: &str) -> Option<String> {
    if std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return None;
    }
    var(&format!("AWS_ENDPOINT_URL_{service}")).or_else(|| var("AWS_ENDPOINT_URL"))
}

/// The browser command list: `AWS_SSO_BROWSER`, else `BROWSER`.
pub fn browser() -> Option<String> {
    var("AWS_SSO_BROWSER").or_else(|| var("BROWSER"))
}

/// `DSOPS_NO_LOGIN` or `CI`: never sign in.
pub fn no_login() -> bool {
    switch("DSOPS_NO_LOGIN") || switch("CI")
}

mod storage;
pub use storage::{TokenStorage, token_storage};

/// `AWS_SSO_DISABLE_BROWSER`: print the sign-in URL, open nothing.
pub fn no_browser() -> bool {
    switch("AWS_SSO_DISABLE_BROWSER")
}

/// `DSOPS_USE_DEVICE_CODE`: sign in with the device code flow.
pub fn use_device_code() -> bool {
    switch("DSOPS_USE_DEVICE_CODE")
}

/// `--config PATH` as given on the command line, for hints.
static CONFIG_FLAG: OnceLock<String> = OnceLock::new();

/// Remember `--config PATH` (given as a flag) so that every hint carries it.
pub fn set_config_flag(path: &str) {
    let _ = CONFIG_FLAG.set(path.to_string());
}

/// A dsops command line for a hint, that works when pasted: the words
/// quoted for a POSIX shell where needed, and the `--config PATH` this run
/// was given (`DSOPS_CONFIG` is still in the environment of a pasted
/// command; a flag is not).
pub fn dsops_command(words: &[&str]) -> String {
    let mut out = String::from("dsops");
    let config = CONFIG_FLAG.get().map(|c| ["--config", c.as_str()]);
    for w in config.iter().flatten().chain(words) {
        out.push(' ');
        let plain = !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-./:@%+=,".contains(&b));
        if plain {
            out.push_str(w);
        } else {
            out.push_str(&String::from_utf8_lossy(&crate::quote::posix_bytes(
                w.as_bytes(),
            )));
        }
    }
    out
}

static DEBUG: AtomicBool = AtomicBool::new(false);

/// `--debug` or `DSOPS_DEBUG`: set once by the command context.
pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

pub fn debug_on() -> bool {
    DEBUG.load(Ordering::Relaxed)
}

/// A `--debug` line. Callers pass names, paths and counts, never values.
pub fn debug(msg: impl std::fmt::Display) {
    if debug_on() {
        eprintln!("dsops: debug: {}", crate::text::shown(&msg.to_string()));
    }
}

/// Parse a duration: seconds (`30`, `2.5`) or units (`90s`, `10m`, `1h30m`,
/// `1d`). `None` for anything else, including negative, infinite or NaN
/// values. Values beyond `max` come back as `max`.
pub fn parse_duration(text: &str, max: Duration) -> Option<Duration> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    let secs: f64 = if let Ok(n) = s.parse::<f64>() {
        n
    } else if s.bytes().any(|b| b.is_ascii_digit()) && s.is_ascii() {
        let mut total = 0f64;
        let mut rest = s;
        while !rest.is_empty() {
            let n = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            if n == 0 {
                return None;
            }
            let value: f64 = rest[..n].parse().ok()?;
            rest = &rest[n..];
            let u = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let unit = match &rest[..u] {
                "ms" => 0.001,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                "d" => 86_400.0,
                _ => return None,
            };
            rest = &rest[u..];
            total += value * unit;
        }
        total
    } else {
        return None;
    };
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(if secs >= max.as_secs_f64() {
        max
    } else {
        Duration::from_secs_f64(secs)
    })
}

/// A duration variable: `default` when unset or empty, clamped to `max`, a
/// usage error naming the variable when it is not a duration.
pub fn duration(name: &str, default: Duration, max: Duration) -> Result<Duration> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(default),
        Err(std::env::VarError::NotUnicode(_)) => Err(bad_duration(name, "(not UTF-8)")),
        Ok(v) if v.trim().is_empty() => Ok(default),
        Ok(v) => parse_duration(&v, max).ok_or_else(|| bad_duration(name, &v)),
    }
}

fn bad_duration(name: &str, value: &str) -> Error {
    let shown: String = value.chars().take(40).collect();
    Error::usage(format!(
        "{name}={shown:?}: expected a duration in seconds, such as 30, 2.5 or 1m30s (finite, not negative)"
    ))
}

/// A whole number from the environment, clamped to `min..=max`; `default`
/// when unset; a usage error naming the variable otherwise.
pub fn count(name: &str, default: u32, min: u32, max: u32) -> Result<u32> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(|n| (n.min(u64::from(max)) as u32).max(min))
            .map_err(|_| {
                Error::usage(format!(
                    "{name}={:?}: expected a whole number",
                    v.chars().take(40).collect::<String>()
                ))
            }),
    }
}

/// The bounds and counts dsops reads from the environment, checked once per
/// run ([`load`]) so that nonsense is a usage error before any work starts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `DSOPS_LOCK_TIMEOUT`: how long to wait for another dsops process's lock.
    pub lock: Duration,
    /// `DSOPS_HTTP_TIMEOUT`: one HTTP attempt's bound.
    pub http: Duration,
    /// `DSOPS_LOGIN_TIMEOUT`: how long an interactive sign-in may take
    /// (browser callback or device-code polling).
    pub login: Duration,
    /// `DSOPS_HOOK_TIMEOUT`: how long the hook waits for an env set's stores.
    pub hook: Duration,
    /// `DSOPS_LOGIN_COOLDOWN`: after a sign-in failed or was abandoned, how
    /// long non-interactive callers fail at once instead of starting another.
    pub login_cooldown: Duration,
    /// `AWS_MAX_ATTEMPTS`: attempts per AWS request, as the AWS SDKs read it.
    pub max_attempts: u32,
    /// `DSOPS_CALLBACK_PORT`: the browser sign-in's callback port (0: any).
    pub callback_port: u16,
}

const DAY: Duration = Duration::from_secs(86_400);

impl Limits {
    fn from_env() -> Result<Limits> {
        Ok(Limits {
            lock: duration("DSOPS_LOCK_TIMEOUT", Duration::from_secs(900), DAY)?,
            http: duration(
                "DSOPS_HTTP_TIMEOUT",
                Duration::from_secs(30),
                Duration::from_secs(3600),
            )?
            .max(Duration::from_millis(100)),
            login: duration("DSOPS_LOGIN_TIMEOUT", Duration::from_secs(600), DAY)?
                .max(Duration::from_secs(1)),
            hook: duration("DSOPS_HOOK_TIMEOUT", Duration::from_secs(10), DAY)?
                .max(Duration::from_millis(10)),
            login_cooldown: duration("DSOPS_LOGIN_COOLDOWN", Duration::from_secs(60), DAY)?,
            max_attempts: count("AWS_MAX_ATTEMPTS", 4, 1, 10)?,
            callback_port: count("DSOPS_CALLBACK_PORT", 0, 0, u32::from(u16::MAX))? as u16,
        })
    }

    fn defaults() -> Limits {
        Limits {
            lock: Duration::from_secs(900),
            http: Duration::from_secs(30),
            login: Duration::from_secs(600),
            hook: Duration::from_secs(10),
            login_cooldown: Duration::from_secs(60),
            max_attempts: 4,
            callback_port: 0,
        }
    }
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Read and check every limit; a usage error names the first bad variable.
pub fn load() -> Result<&'static Limits> {
    if let Some(l) = LIMITS.get() {
        return Ok(l);
    }
    let l = Limits::from_env()?;
    Ok(LIMITS.get_or_init(|| l))
}

/// The limits [`load`] checked (each command's run starts with it); where
/// it was not called (unit tests), the environment's valid values or the
/// defaults.
pub fn limits() -> &'static Limits {
    LIMITS.get_or_init(|| Limits::from_env().unwrap_or_else(|_| Limits::defaults()))
}

mod docs;
pub use docs::ENVIRONMENT;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness() {
        for on in ["1", "true", "TRUE", "yes", "on", "2", "y"] {
            assert!(is_on(on), "{on}");
        }
        for off in ["", " ", "0", "false", "False", "no", "OFF"] {
            assert!(!is_on(off), "{off}");
        }
    }

    #[test]
    fn durations() {
        let p = |s| parse_duration(s, DAY);
        assert_eq!(p("30"), Some(Duration::from_secs(30)));
        assert_eq!(p("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(p("90s"), Some(Duration::from_secs(90)));
        assert_eq!(p("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(p("3h"), Some(Duration::from_secs(10_800)));
        assert_eq!(p("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(p("0"), Some(Duration::ZERO));
        assert_eq!(p("1e19"), Some(DAY), "finite, clamped");
        assert_eq!(p("1e300"), Some(DAY), "finite, clamped");
        assert_eq!(p("99999999999999999999999"), Some(DAY), "clamped");
        assert_eq!(p("5000000h"), Some(DAY), "clamped");
        for bad in [
            "inf", "-inf", "infinity", "-1", "-0.5", "NaN", "1x", "h", "1h-3m", "", "1..2", "１",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(
                if std::env::var_os("PROPTEST_CASES").is_some() { ProptestConfig::default().cases } else { 3000 }
            ))]

            #[test]
            fn prop_any_text_is_a_bounded_duration_or_none(s in any::<String>(), max in 0u64..1_000_000) {
                let max = Duration::from_secs(max);
                if let Some(d) = parse_duration(&s, max) {
                    prop_assert!(d <= max);
                }
            }

            #[test]
            fn prop_duration_shapes(s in "[0-9.]{0,8}(ms|s|m|h|d|x)?([0-9.]{0,8}(ms|s|m|h|d))?|[-+]?(inf|nan|[0-9]{1,400}(\\.[0-9]*)?(e[-+]?[0-9]{1,4})?)") {
                let max = Duration::from_secs(86_400);
                if let Some(d) = parse_duration(&s, max) {
                    prop_assert!(d <= max);
                }
            }

            #[test]
            fn prop_whole_seconds_are_exact(n in 0u64..86_400) {
                prop_assert_eq!(parse_duration(&n.to_string(), DAY), Some(Duration::from_secs(n)));
            }
        }
    }
}
