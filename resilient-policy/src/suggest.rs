//! "Did you mean" suggestions for misspelt keys and values.

/// The candidate closest to `input`, if one is close enough to be a plausible typo.
///
/// ```
/// use resilient_policy::did_you_mean;
/// assert_eq!(did_you_mean("max_attempt", ["max_attempts", "max_delay"]), Some("max_attempts"));
/// assert_eq!(did_you_mean("colour", ["max_attempts", "max_delay"]), None);
/// ```
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // A third of the word may be wrong, and at least one character.
    let budget = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(input, candidate), candidate))
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Edits between `a` and `b`, case-insensitive: an insertion, a deletion, a substitution, or
/// a swap of two neighbouring characters (the commonest typo: `grpah`) is one edit each. The
/// optimal string alignment distance: Levenshtein's, with swaps.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // Rows of the table: `previous` is `a[..i]` against every prefix of `b`, `before` the row
    // above it.
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            let mut edits = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                edits = edits.min(before[j - 1] + 1);
            }
            current[j + 1] = edits;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("Full", "full"), 0);
        // Two neighbours swapped are one edit, not two.
        assert_eq!(edit_distance("grpah", "graph"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("max_attmepts", "max_attempts"), 1);
    }

    #[test]
    fn suggests_only_close_words() {
        let kinds = ["immediate", "fixed", "incremental", "exponential", "decorrelated"];
        assert_eq!(did_you_mean("exponental", kinds), Some("exponential"));
        assert_eq!(did_you_mean("fixd", kinds), Some("fixed"));
        assert_eq!(did_you_mean("linear", kinds), None);
        // A five-letter name may have one edit: a swap is one.
        assert_eq!(did_you_mean("grpah", ["mail", "graph"]), Some("graph"));
    }
}
