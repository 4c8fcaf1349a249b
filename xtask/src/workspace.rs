//! The workspace as the release tool sees it: publishable crates and the edges between them,
//! read from `cargo metadata`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use crate::version::Version;

/// One workspace crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Crate {
    pub(crate) name: String,
    pub(crate) version: Version,
    /// The crate's directory.
    pub(crate) dir: PathBuf,
    /// Whether `publish = false` keeps it off registries.
    pub(crate) publish: bool,
    /// Workspace crates this one depends on, of any kind (normal, build or dev), minus itself.
    pub(crate) depends_on: BTreeSet<String>,
}

/// Reads the workspace's crates with `cargo metadata`.
pub(crate) fn load(root: &std::path::Path) -> Result<Vec<Crate>, String> {
    parse_metadata(&metadata(root, &["--no-deps"])?)
}

/// Runs `cargo metadata --format-version 1` with `extra` arguments and returns its JSON.
pub(crate) fn metadata(root: &std::path::Path, extra: &[&str]) -> Result<Value, String> {
    let mut args = vec!["metadata", "--format-version", "1"];
    args.extend(extra);
    let stdout = crate::command::output("metadata", &mut crate::command::cargo(root, &args))?;
    serde_json::from_str(&stdout)
        .map_err(|error| format!("cargo metadata printed invalid JSON: {error}"))
}

fn parse_metadata(metadata: &Value) -> Result<Vec<Crate>, String> {
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata has no packages")?;
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .map(|package| {
            let name = package["name"].as_str().ok_or("a package has no name")?;
            let version = package["version"]
                .as_str()
                .ok_or("a package has no version")?
                .parse()
                .map_err(|error| format!("{name} has an unreadable version: {error}"))?;
            let manifest = package["manifest_path"]
                .as_str()
                .ok_or("a package has no manifest path")?;
            let dir = PathBuf::from(manifest)
                .parent()
                .map(PathBuf::from)
                .ok_or("a manifest path has no directory")?;
            // `publish = false` shows as an empty list of allowed registries.
            let publish =
                !matches!(package["publish"].as_array(), Some(registries) if registries.is_empty());
            let depends_on = package["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|dependency| dependency["name"].as_str())
                .filter(|dependency| *dependency != name && names.contains(dependency))
                .map(str::to_owned)
                .collect();
            Ok(Crate {
                name: name.to_owned(),
                version,
                dir,
                publish,
                depends_on,
            })
        })
        .collect()
}

/// The crates in an order where every crate comes after the crates it depends on; ties are
/// broken by name so the order is stable. An error names the crates of a cycle.
pub(crate) fn publish_order(crates: &[Crate]) -> Result<Vec<String>, String> {
    let mut remaining: BTreeMap<&str, BTreeSet<&str>> = crates
        .iter()
        .map(|krate| {
            let deps = krate.depends_on.iter().map(String::as_str).collect();
            (krate.name.as_str(), deps)
        })
        .collect();
    let mut order = Vec::with_capacity(crates.len());
    while !remaining.is_empty() {
        let ready: Vec<&str> = remaining
            .iter()
            .filter(|(_, deps)| deps.iter().all(|dep| !remaining.contains_key(dep)))
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            let cycle: Vec<&str> = remaining.keys().copied().collect();
            return Err(format!("dependency cycle among: {}", cycle.join(", ")));
        }
        for name in ready {
            remaining.remove(name);
            order.push(name.to_owned());
        }
    }
    Ok(order)
}

/// The crates that depend on any of `changed`, directly or through other crates, plus `changed`.
pub(crate) fn with_dependents(crates: &[Crate], changed: &BTreeSet<String>) -> BTreeSet<String> {
    let mut affected = changed.clone();
    loop {
        let before = affected.len();
        for krate in crates {
            if krate.depends_on.iter().any(|dep| affected.contains(dep)) {
                affected.insert(krate.name.clone());
            }
        }
        if affected.len() == before {
            return affected;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn krate(name: &str, deps: &[&str]) -> Crate {
        Crate {
            name: name.to_owned(),
            version: "0.1.0".parse().unwrap(),
            dir: PathBuf::from("crates").join(name),
            publish: true,
            depends_on: deps.iter().map(|dep| (*dep).to_owned()).collect(),
        }
    }

    #[test]
    fn orders_dependencies_first() {
        let crates = [
            krate("umbrella", &["refresh", "token", "ids"]),
            krate("refresh", &["token"]),
            krate("entra", &["refresh", "token", "http"]),
            krate("http", &[]),
            krate("token", &[]),
            krate("ids", &[]),
        ];
        let order = publish_order(&crates).unwrap();
        let position = |name: &str| order.iter().position(|n| n == name).unwrap();
        for krate in &crates {
            for dep in &krate.depends_on {
                assert!(
                    position(dep) < position(&krate.name),
                    "{dep} before {} in {order:?}",
                    krate.name
                );
            }
        }
        assert_eq!(order.len(), crates.len());
        // Stable: the same input always gives the same order.
        assert_eq!(
            order,
            ["http", "ids", "token", "refresh", "entra", "umbrella"]
        );
    }

    #[test]
    fn reports_cycles() {
        let crates = [
            krate("a", &["b"]),
            krate("b", &["c"]),
            krate("c", &["a"]),
            krate("d", &[]),
        ];
        let error = publish_order(&crates).unwrap_err();
        assert!(error.contains("a, b, c"), "{error}");
    }

    #[test]
    fn dependents_follow_changes_transitively() {
        let crates = [
            krate("umbrella", &["refresh"]),
            krate("refresh", &["token"]),
            krate("token", &[]),
            krate("ids", &[]),
        ];
        let changed = BTreeSet::from(["token".to_owned()]);
        let affected: Vec<String> = with_dependents(&crates, &changed).into_iter().collect();
        assert_eq!(affected, ["refresh", "token", "umbrella"]);
    }

    #[test]
    fn reads_cargo_metadata() {
        let metadata = serde_json::json!({"packages": [
            {"name": "a", "version": "0.2.0", "manifest_path": "/w/crates/a/Cargo.toml", "publish": null,
             "dependencies": [{"name": "b"}, {"name": "serde"}, {"name": "a"}]},
            {"name": "b", "version": "0.1.0", "manifest_path": "/w/crates/b/Cargo.toml", "publish": [],
             "dependencies": []}
        ]});
        let crates = parse_metadata(&metadata).unwrap();
        assert_eq!(crates[0].depends_on, BTreeSet::from(["b".to_owned()]));
        assert!(crates[0].publish);
        assert!(!crates[1].publish);
        assert_eq!(crates[0].dir, PathBuf::from("/w/crates/a"));
        assert_eq!(crates[0].version.to_string(), "0.2.0");
    }
}
