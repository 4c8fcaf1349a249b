//! The minimum Rust version check of `cargo xtask ci`.
//!
//! CI has one toolchain, newer than the declared `rust-version`, so the minimum cannot be
//! built here. Two parts of it can be checked: clippy's `incompatible_msrv` lint (denied in
//! the clippy step) rejects standard-library items newer than the minimum, and this check
//! rejects a locked dependency whose own `rust-version` is newer than ours.

use std::path::Path;

use serde_json::Value;

/// A `rust-version` as cargo writes it (`1.88` or `1.88.0`), comparable.
type RustVersion = (u64, u64, u64);

fn parse_rust_version(text: &str) -> Option<RustVersion> {
    let mut parts = text.split('.').map(|part| part.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    parts.next().is_none().then_some((major, minor, patch))
}

/// Runs the check on the workspace at `root`, printing what it compared.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    let metadata = crate::workspace::metadata(root, &["--all-features", "--locked"])?;
    let (minimum, checked) = check_metadata(&metadata)?;
    println!(
        "xtask ci: rust-version {}.{}.{}: no newer rust-version among {checked} locked dependencies",
        minimum.0, minimum.1, minimum.2
    );
    Ok(())
}

/// Returns the workspace's `rust-version` and how many dependencies were compared with it, or
/// names every workspace crate without one and every dependency that needs a newer Rust.
fn check_metadata(metadata: &Value) -> Result<(RustVersion, usize), String> {
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .ok_or("cargo metadata has no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata has no packages")?;

    let mut problems = Vec::new();
    let mut minimum: Option<RustVersion> = None;
    for package in packages.iter().filter(|p| is_member(p, &members)) {
        match package["rust_version"]
            .as_str()
            .and_then(parse_rust_version)
        {
            Some(version) => minimum = Some(minimum.map_or(version, |m| m.min(version))),
            None => problems.push(format!("{} declares no rust-version", name(package))),
        }
    }
    let minimum = minimum.ok_or("no workspace crate declares a rust-version")?;

    let mut checked = 0;
    for package in packages.iter().filter(|p| !is_member(p, &members)) {
        checked += 1;
        let Some(text) = package["rust_version"].as_str() else {
            continue;
        };
        match parse_rust_version(text) {
            Some(version) if version > minimum => problems.push(format!(
                "{} {} needs Rust {text}",
                name(package),
                package["version"].as_str().unwrap_or("?")
            )),
            Some(_) => {}
            None => problems.push(format!(
                "{} has an unreadable rust-version `{text}`",
                name(package)
            )),
        }
    }
    if problems.is_empty() {
        Ok((minimum, checked))
    } else {
        Err(format!(
            "rust-version {}.{}.{} is not kept:\n  {}",
            minimum.0,
            minimum.1,
            minimum.2,
            problems.join("\n  ")
        ))
    }
}

fn is_member(package: &Value, members: &[&str]) -> bool {
    package["id"]
        .as_str()
        .is_some_and(|id| members.contains(&id))
}

fn name(package: &Value) -> &str {
    package["name"].as_str().unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(dependency_rust_version: Option<&str>) -> Value {
        json!({
            "workspace_members": ["ws 0.1.0"],
            "packages": [
                {"id": "ws 0.1.0", "name": "ws", "version": "0.1.0", "rust_version": "1.88"},
                {"id": "dep 2.0.0", "name": "dep", "version": "2.0.0",
                 "rust_version": dependency_rust_version},
                {"id": "old 1.0.0", "name": "old", "version": "1.0.0", "rust_version": null},
            ]
        })
    }

    #[test]
    fn reads_cargo_rust_versions() {
        assert_eq!(parse_rust_version("1.88"), Some((1, 88, 0)));
        assert_eq!(parse_rust_version("1.88.1"), Some((1, 88, 1)));
        assert_eq!(parse_rust_version("1"), Some((1, 0, 0)));
        assert_eq!(parse_rust_version("1.x"), None);
        assert_eq!(parse_rust_version("1.88.0.0"), None);
        assert_eq!(parse_rust_version(""), None);
    }

    #[test]
    fn older_equal_and_undeclared_dependencies_pass() {
        for version in [Some("1.70"), Some("1.88.0"), None] {
            assert_eq!(
                check_metadata(&metadata(version)),
                Ok(((1, 88, 0), 2)),
                "{version:?}"
            );
        }
    }

    #[test]
    fn a_dependency_needing_newer_rust_is_named() {
        let error = check_metadata(&metadata(Some("1.89"))).unwrap_err();
        assert!(error.contains("dep 2.0.0 needs Rust 1.89"), "{error}");
        assert!(!error.contains("old"), "{error}");
    }

    #[test]
    fn a_member_without_rust_version_is_named() {
        let mut metadata = metadata(None);
        metadata["packages"][0]["rust_version"] = Value::Null;
        let error = check_metadata(&metadata).unwrap_err();
        assert!(error.contains("no workspace crate declares"), "{error}");

        let mut two = self::metadata(None);
        two["workspace_members"] = json!(["ws 0.1.0", "other 0.1.0"]);
        two["packages"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "other 0.1.0", "name": "other", "version": "0.1.0"}));
        let error = check_metadata(&two).unwrap_err();
        assert!(error.contains("other declares no rust-version"), "{error}");
    }
}
