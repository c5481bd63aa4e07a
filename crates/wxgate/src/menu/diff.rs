//! A line diff of two texts (longest common subsequence): what `menu push --dry-run` prints.

/// Lines of `new` against `old`: `  ` unchanged, `- ` only in `old`, `+ ` only in `new`; where
/// a line changed, the old one comes above the new one.
pub fn diff_lines(old: &str, new: &str) -> Vec<String> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(format!("  {}", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // A changed line: the old one first, then the new one below it.
            out.push(format!("- {}", a[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_are_marked() {
        let diff = diff_lines("a\nb\nc", "a\nx\nc\nd");
        assert_eq!(diff, ["  a", "- b", "+ x", "  c", "+ d"]);
    }

    /// Issue 17: a changed line shows the old value above the new one.
    #[test]
    fn issue_17_the_old_line_comes_above_the_new() {
        let diff = diff_lines("{\n  \"name\": \"Today\"\n}", "{\n  \"name\": \"Now\"\n}");
        assert_eq!(
            diff,
            [
                "  {",
                "-   \"name\": \"Today\"",
                "+   \"name\": \"Now\"",
                "  }"
            ]
        );
    }

    #[test]
    fn identical_texts_have_no_marks() {
        assert!(diff_lines("a\nb", "a\nb")
            .iter()
            .all(|l| l.starts_with("  ")));
    }
}
