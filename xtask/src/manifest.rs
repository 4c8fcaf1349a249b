//! Line-level edits of Cargo manifests: a crate's own `version`, and the `version` of its
//! entry in the root `[workspace.dependencies]`. Line edits keep comments and layout intact.

/// Sets `version = "..."` in the `[package]` table.
pub(crate) fn set_package_version(manifest: &str, new: &str) -> Result<String, String> {
    let mut table = "";
    let mut replaced = false;
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            table = trimmed;
        }
        if !replaced && table == "[package]" && trimmed.starts_with("version") {
            let key = trimmed.split('=').next().unwrap_or_default().trim();
            if key == "version" {
                if trimmed.contains("workspace") {
                    return Err(
                        "the crate inherits its version from the workspace; give it its own"
                            .to_owned(),
                    );
                }
                out.push_str(&format!("version = \"{new}\"\n"));
                replaced = true;
                continue;
            }
        }
        out.push_str(line);
    }
    if replaced {
        Ok(out)
    } else {
        Err("no `version` in [package]".to_owned())
    }
}

/// Sets the `version = "..."` of `name`'s entry in `[workspace.dependencies]`, which path
/// dependencies need to be publishable.
pub(crate) fn set_workspace_dependency_version(
    manifest: &str,
    name: &str,
    new: &str,
) -> Result<String, String> {
    let mut table = "";
    let mut replaced = false;
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            table = trimmed;
        }
        let is_entry = table == "[workspace.dependencies]"
            && trimmed
                .split('=')
                .next()
                .is_some_and(|key| key.trim() == name);
        if is_entry {
            let Some(start) = line.find("version = \"") else {
                return Err(format!("the `{name}` entry has no version"));
            };
            let value_start = start + "version = \"".len();
            let Some(len) = line[value_start..].find('"') else {
                return Err(format!("the `{name}` entry's version is not closed"));
            };
            out.push_str(&line[..value_start]);
            out.push_str(new);
            out.push_str(&line[value_start + len..]);
            replaced = true;
        } else {
            out.push_str(line);
        }
    }
    if replaced {
        Ok(out)
    } else {
        Err(format!("no `{name}` in [workspace.dependencies]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_the_package_version_only() {
        let manifest = "[package]\nname = \"a\"\nversion = \"0.1.0\"\n\n[dependencies]\nversion_check = { version = \"0.9\" }\n";
        let edited = set_package_version(manifest, "0.1.1").unwrap();
        assert_eq!(
            edited,
            manifest.replace("version = \"0.1.0\"", "version = \"0.1.1\"")
        );
        assert!(set_package_version("[package]\nversion.workspace = true\n", "1.0.0").is_err());
        assert!(set_package_version("[package]\nname = \"a\"\n", "1.0.0").is_err());
    }

    #[test]
    fn sets_a_workspace_dependency_version() {
        let manifest = "[workspace.dependencies]\nacs-token = { path = \"crates/acs-token\", version = \"0.1.0\" }\nacs-token-extra = { path = \"x\", version = \"0.1.0\" }\nserde = \"1\"\n";
        let edited = set_workspace_dependency_version(manifest, "acs-token", "0.2.0").unwrap();
        assert!(
            edited.contains("acs-token = { path = \"crates/acs-token\", version = \"0.2.0\" }")
        );
        assert!(edited.contains("acs-token-extra = { path = \"x\", version = \"0.1.0\" }"));
        assert!(set_workspace_dependency_version(manifest, "serde", "2").is_err());
        assert!(set_workspace_dependency_version(manifest, "missing", "2").is_err());
    }
}
