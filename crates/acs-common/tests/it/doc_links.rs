//! The newcomer's path through the README and `docs/` must not break: every relative link
//! points at a file that exists (and at a heading that exists, for `#anchor` links), and every
//! `cargo run --example NAME` names an example the workspace has.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The README and every page under `docs/`, with their paths.
fn pages() -> Vec<(PathBuf, String)> {
    let root = workspace_root();
    let mut paths = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a readable page");
            (path, text)
        })
        .collect()
}

/// The targets of inline Markdown links, `[text](target)`, outside code blocks.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code_block = !in_code_block;
            continue;
        }
        if in_code_block {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, other punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.starts_with('#'))
        .map(|line| anchor(line.trim_start_matches('#')))
        .collect()
}

#[test]
fn anchors_follow_github() {
    assert_eq!(
        anchor(" 6. Run a token server and a client"),
        "6-run-a-token-server-and-a-client"
    );
    assert_eq!(anchor(" A `Bearer ` prefix"), "a-bearer--prefix");
    assert_eq!(
        link_targets("see [a](b.md#c) and [d](https://e)\n```\n[x](y)\n```"),
        ["b.md#c", "https://e"]
    );
}

#[test]
fn relative_links_resolve() {
    let mut broken = Vec::new();
    for (path, text) in pages() {
        let dir = path.parent().expect("a page in a directory");
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = match target.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (target.as_str(), None),
            };
            let linked = if file.is_empty() {
                path.clone()
            } else {
                dir.join(file)
            };
            if !linked.exists() {
                broken.push(format!("{}: {target} (no such file)", path.display()));
                continue;
            }
            if let Some(fragment) = fragment {
                let linked_text = std::fs::read_to_string(&linked).unwrap_or_default();
                if !anchors(&linked_text).iter().any(|a| a == fragment) {
                    broken.push(format!("{}: {target} (no such heading)", path.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn documented_examples_exist() {
    let root = workspace_root();
    let manifests: String = std::fs::read_dir(root.join("crates"))
        .expect("crates/ exists")
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("Cargo.toml")).ok())
        .collect();
    let mut missing = Vec::new();
    for (path, text) in pages() {
        for (at, _) in text.match_indices("--example ") {
            let name: String = text[at + "--example ".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            // Declared in a manifest (`[[example]] name = ...`), or found by cargo in a
            // crate's own `examples/` directory.
            let declared = manifests.contains(&format!("name = \"{name}\""))
                || std::fs::read_dir(root.join("crates"))
                    .expect("crates/ exists")
                    .filter_map(Result::ok)
                    .any(|krate| {
                        krate
                            .path()
                            .join("examples")
                            .join(format!("{name}.rs"))
                            .exists()
                    });
            if !declared {
                missing.push(format!("{}: --example {name}", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "examples the docs run but the workspace lacks:\n{}",
        missing.join("\n")
    );
}
