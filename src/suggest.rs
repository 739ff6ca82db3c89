//! "Did you mean": the nearest of the names that exist to a name that does
//! not (a command, a flag, a store, an env set, a profile), by edit
//! distance, and the names themselves when none is near.

/// The candidate nearest to `word`, when it is near enough to be a typo
/// (at most 2 edits, or a third of its length).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean 'x'?)`, or an empty string.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates)
        .map(|c| format!(" (did you mean '{c}'?)"))
        .unwrap_or_default()
}

/// ` (did you mean 'x'?)` when one is near, else `; WHAT: a, b, c` (at most
/// ten names, then how many more), or `; no WHAT` when there are none.
pub fn or_list(word: &str, what: &str, names: &[&str]) -> String {
    if let Some(c) = nearest(word, names.iter().copied()) {
        return format!(" (did you mean '{c}'?)");
    }
    match names.len() {
        0 => format!("; no {what}"),
        n if n <= 10 => format!("; {what}: {}", names.join(", ")),
        n => format!("; {what}: {} and {} more", names[..10].join(", "), n - 10),
    }
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_and_lists() {
        assert_eq!(nearest("prdo", ["prod", "dev"]), Some("prod"));
        assert_eq!(nearest("staging", ["prod", "dev"]), None);
        assert_eq!(or_list("x", "profiles", &[]), "; no profiles");
        assert_eq!(
            or_list("staging", "profiles", &["dev", "prod"]),
            "; profiles: dev, prod"
        );
        let many: Vec<String> = (0..12).map(|i| format!("p{i:02}xyz")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(or_list("zzzzzzzzzz", "profiles", &many).ends_with("and 2 more"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
