//! `CHANGELOG.md` files in the Keep a Changelog format: every release needs entries under
//! `## [Unreleased]`, which the release then files under its version.

const UNRELEASED: &str = "## [Unreleased]";

/// The entries under `## [Unreleased]`: lines that start a list item.
pub(crate) fn unreleased_entries(changelog: &str) -> Vec<&str> {
    let mut in_unreleased = false;
    let mut entries = Vec::new();
    for line in changelog.lines() {
        if line.starts_with("## ") {
            in_unreleased = line.trim_end() == UNRELEASED;
            continue;
        }
        let item = line.trim_start();
        if in_unreleased && (item.starts_with("- ") || item.starts_with("* ")) {
            entries.push(item);
        }
    }
    entries
}

/// Files the unreleased entries under `version`, leaving an empty `## [Unreleased]` on top.
pub(crate) fn release(changelog: &str, version: &str, date: &str) -> Result<String, String> {
    if !changelog.lines().any(|line| line.trim_end() == UNRELEASED) {
        return Err(format!("no `{UNRELEASED}` heading"));
    }
    let mut out = String::with_capacity(changelog.len() + 64);
    let mut done = false;
    for line in changelog.split_inclusive('\n') {
        if !done && line.trim_end() == UNRELEASED {
            out.push_str(UNRELEASED);
            out.push_str("\n\n## [");
            out.push_str(version);
            out.push_str("] - ");
            out.push_str(date);
            out.push('\n');
            done = true;
        } else {
            out.push_str(line);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Changelog\n\n## [Unreleased]\n\n### Added\n- A parser.\n- A builder.\n\n## [0.1.0] - 2026-01-01\n- First.\n";

    #[test]
    fn finds_unreleased_entries_only() {
        assert_eq!(unreleased_entries(SAMPLE), ["- A parser.", "- A builder."]);
        assert!(
            unreleased_entries("# Changelog\n\n## [Unreleased]\n\n## [0.1.0]\n- Old.\n").is_empty()
        );
        assert!(unreleased_entries("# Changelog\n- Loose.\n").is_empty());
    }

    #[test]
    fn files_entries_under_the_version() {
        let released = release(SAMPLE, "0.1.1", "2026-11-25").unwrap();
        assert!(
            released
                .contains("## [Unreleased]\n\n## [0.1.1] - 2026-11-25\n\n### Added\n- A parser.")
        );
        assert!(unreleased_entries(&released).is_empty());
        assert!(released.ends_with("## [0.1.0] - 2026-01-01\n- First.\n"));
        assert!(release("# Changelog\n", "0.1.1", "2026-11-25").is_err());
    }
}
