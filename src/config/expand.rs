//! `${VAR}` in store fields, expanded from the process environment when a
//! store is used (so that a missing variable names the field that needs it);
//! `$${` writes a literal `${`.

/// Expand `${VAR}`; `$${` is a literal `${`. Returns the name of a missing
/// variable as the error.
pub fn interpolate(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = t;
        } else if let Some(t) = tail.strip_prefix("${") {
            let Some(end) = t.find('}') else {
                out.push_str(tail);
                return Ok(out);
            };
            let name = &t[..end];
            out.push_str(&lookup(name).ok_or_else(|| name.to_string())?);
            rest = &t[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}
