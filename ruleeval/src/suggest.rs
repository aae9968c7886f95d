//! "Did you mean ...?" for a misspelled name (a field, a syscall).

/// The candidate closest to `name` by edit distance, when it is within 2
/// edits and a third of the name (so short names do not match anything).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max = (name.chars().count() / 3).clamp(1, 2);
    candidates
        .into_iter()
        .map(|c| (levenshtein(name, c), c))
        .filter(|&(d, _)| d <= max)
        .min()
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_within_two_edits_and_a_third_of_the_name() {
        let names = ["fd.name", "fd.num", "proc.name", "openat"];
        assert_eq!(closest("fd.nme", names), Some("fd.name"));
        assert_eq!(closest("proc.nam", names), Some("proc.name"));
        assert_eq!(closest("opnat", names), Some("openat"));
        assert_eq!(closest("zzzzzz", names), None);
        // a short name matches only one edit away
        assert_eq!(closest("fd", ["fx", "ab"]), Some("fx"));
        assert_eq!(closest("fd", ["ab"]), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
