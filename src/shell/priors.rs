//! Prior values: what the variables a load shadows held before, kept out of
//! the environment so that processes started in the project cannot read the
//! user's own values (their production `AWS_SECRET_ACCESS_KEY`, say).
//!
//! They live in a file of mode 0600 under `$XDG_RUNTIME_DIR/dsops/priors/`
//! (else, or when that belongs to another user, `$XDG_STATE_HOME/dsops/priors/`;
//! directory 0700), and the state names the file. Only the names that had a value are in it; a managed name that
//! is not in it was unset.
//!
//! A file is never changed once written and is named by a keyed hash of its
//! content (the key is a random file beside it): the same priors give the
//! same file, shells started inside a project (which inherit the state) read
//! the file of the shell that loaded it, and the name in the environment
//! tells nothing about the values, not even to someone guessing them. Files
//! are not removed on leaving (another shell may still need one); those
//! untouched for [`PRUNE_AFTER`] are pruned about once a day, and each load
//! that needs a file again touches it.
//!
//! The state is user input: only a name of the right form is looked up, only
//! in our directory, read with a fixed bound.

use crate::fsutil;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// At most this many bytes of names and values in all (the environment they
/// come from is itself bounded by the kernel, to about 2 MiB by default).
pub const MAX_BYTES: usize = 1 << 20;
/// The read bound for a file: `MAX_BYTES` of names and values, in base64 and
/// JSON.
const MAX_FILE: u64 = 2 << 20;
const KEY_LEN: usize = 32;
const NAME_LEN: usize = 32;
pub const PRUNE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);

/// Names and the values they had (only those that had one).
pub type Priors = Vec<(String, Vec<u8>)>;

/// The directory of priors files: `$XDG_RUNTIME_DIR/dsops/priors` when that
/// is ours, else dsops's own `$XDG_STATE_HOME/dsops/priors`. A directory on
/// the way that belongs to another user (an `XDG_RUNTIME_DIR` kept across
/// `su`, say: the values written there would be theirs to read) is refused
/// with a line naming its owner, and passed over; when the fallback belongs
/// to another user too, that is an error.
pub fn dir() -> Result<PathBuf, String> {
    let own = crate::paths::state_home();
    let fallback = own.join("dsops/priors");
    if let Some(run) = crate::paths::runtime_dir() {
        match foreign(&[run.clone(), run.join("dsops"), run.join("dsops/priors")]) {
            None => return Ok(run.join("dsops/priors")),
            Some(refused) => eprintln!(
                "dsops: {refused}, not to you: refusing to keep prior values there; using {} instead",
                fallback.display()
            ),
        }
    }
    match foreign(&[own.join("dsops"), fallback.clone()]) {
        None => Ok(fallback),
        Some(refused) => Err(format!("{refused}, not to you")),
    }
}

/// The first of `dirs` that exists and belongs to another user, said as
/// "PATH belongs to NAME (uid N)".
fn foreign(dirs: &[PathBuf]) -> Option<String> {
    let me = crate::platform::current_uid();
    dirs.iter().find_map(|d| {
        let meta = std::fs::metadata(d).ok()?;
        let (owner, _) = crate::platform::owner_and_mode(&meta);
        (owner != me).then(|| {
            let name = crate::platform::user_name(owner)
                .map(|n| format!("{n} (uid {owner})"))
                .unwrap_or_else(|| format!("uid {owner}"));
            format!("{} belongs to {name}", d.display())
        })
    })
}

/// Is `name` the name of a priors file (32 lowercase hex digits)?
pub fn valid_name(name: &str) -> bool {
    name.len() == NAME_LEN && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The size that counts against [`MAX_BYTES`].
pub fn size(priors: &Priors) -> usize {
    priors.iter().map(|(n, v)| n.len() + v.len()).sum()
}

#[derive(serde::Serialize, serde::Deserialize)]
struct File1 {
    v: u32,
    vars: Vec<(String, String)>,
}

pub fn encode(priors: &Priors) -> Vec<u8> {
    let f = File1 {
        v: 1,
        vars: priors
            .iter()
            .map(|(n, v)| (n.clone(), crate::base64::encode(v)))
            .collect(),
    };
    serde_json::to_vec(&f).expect("priors serialize")
}

pub fn decode(bytes: &[u8]) -> Option<Priors> {
    let f: File1 = serde_json::from_slice(bytes).ok()?;
    if f.v != 1 {
        return None;
    }
    f.vars
        .into_iter()
        .map(|(n, v)| {
            crate::config::valid_var_name(&n)
                .then_some(())
                .and_then(|()| crate::base64::decode(&v))
                .map(|v| (n, v))
        })
        .collect()
}

/// Keep `priors` (not empty) and return the file's name for the state.
pub fn save(priors: &Priors) -> Result<String, String> {
    let dir = dir()?;
    fsutil::private_dir(&dir).map_err(|e| e.message)?;
    prune(&dir);
    let data = encode(priors);
    let key = key(&dir)?;
    let mut keyed = key;
    keyed.extend_from_slice(&data);
    let mut name = crate::config::trust::sha256_hex(&keyed);
    name.truncate(NAME_LEN);
    let path = dir.join(&name);
    // The same content is there already: keep it from being pruned.
    if let Ok(f) = crate::platform::open_own_file_for_write(&path)
        && f.set_modified(SystemTime::now()).is_ok()
    {
        return Ok(name);
    }
    fsutil::write_atomic(&path, &data).map_err(|e| e.message)?;
    Ok(name)
}

/// The priors in the file `name`, or why they cannot be had.
pub fn load(name: &str) -> Result<Priors, String> {
    if !valid_name(name) {
        return Err("the state names no file of dsops".into());
    }
    let dir = dir()?;
    let path = dir.join(name);
    fsutil::guard_dir(&dir).map_err(|e| e.message)?;
    let bytes = fsutil::read_private(&path, MAX_FILE)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    decode(&bytes).ok_or_else(|| format!("{} is damaged", path.display()))
}

/// The hashing key: random bytes made once per directory.
fn key(dir: &Path) -> Result<Vec<u8>, String> {
    let path = dir.join(".key");
    if let Ok(k) = fsutil::read_private(&path, KEY_LEN as u64)
        && k.len() == KEY_LEN
    {
        return Ok(k);
    }
    let k = crate::platform::random_bytes(KEY_LEN)
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    fsutil::write_atomic(&path, &k).map_err(|e| e.message)?;
    Ok(k)
}

fn prune(dir: &Path) {
    fsutil::prune(dir, valid_name, PRUNE_AFTER);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_rejects_damage() {
        let p: Priors = vec![("A".into(), b"x\xff'\n".to_vec()), ("B".into(), vec![])];
        assert_eq!(decode(&encode(&p)).unwrap(), p);
        assert!(decode(b"{\"v\":1,\"vars\":[[\"A B\",\"\"]]}").is_none());
        assert!(decode(b"{\"v\":2,\"vars\":[]}").is_none());
        assert!(decode(b"{\"v\":1,\"vars\":[[\"A\",\"!\"]]}").is_none());
        assert!(decode(b"garbage").is_none());
        assert!(valid_name("0123456789abcdef0123456789abcdef"));
        assert!(!valid_name("../../../../etc/passwd"));
        assert!(!valid_name("0123456789ABCDEF0123456789ABCDEF"));
    }
}
