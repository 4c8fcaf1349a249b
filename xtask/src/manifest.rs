//! Line-level edits of Cargo manifests: a crate's own `version`, and the `version` of its
//! entry in the root `[workspace.dependencies]`. Line edits keep comments and layout intact.

/// Sets `version = "..."` in the `[package]` table.
pub(crate) fn set_package_version(manifest: &str, new: &str) -> Result<String, String> {
    replace_entry(manifest, "[package]", "version", |line| {
        if line.contains("workspace") {
            return Err(
                "the crate inherits its version from the workspace; give it its own".to_owned(),
            );
        }
        Ok(format!("version = \"{new}\"\n"))
    })
}

/// Sets the `version = "..."` of `name`'s entry in `[workspace.dependencies]`, which path
/// dependencies need to be publishable.
pub(crate) fn set_workspace_dependency_version(
    manifest: &str,
    name: &str,
    new: &str,
) -> Result<String, String> {
    replace_entry(manifest, "[workspace.dependencies]", name, |line| {
        let Some(start) = line.find("version = \"") else {
            return Err(format!("the `{name}` entry has no version"));
        };
        let value_start = start + "version = \"".len();
        let Some(len) = line[value_start..].find('"') else {
            return Err(format!("the `{name}` entry's version is not closed"));
        };
        Ok(format!(
            "{}{new}{}",
            &line[..value_start],
            &line[value_start + len..]
        ))
    })
}

/// Replaces the first line of `table` whose key is `key` with what `edit` makes of it.
fn replace_entry(
    manifest: &str,
    table: &str,
    key: &str,
    edit: impl FnOnce(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut current = "";
    let mut edit = Some(edit);
    let mut out = String::with_capacity(manifest.len() + 16);
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            current = trimmed;
        }
        let is_entry = current == table
            && trimmed
                .split(['=', '.'])
                .next()
                .is_some_and(|line_key| line_key.trim() == key);
        match edit.take_if(|_| is_entry) {
            Some(edit) => out.push_str(&edit(line)?),
            None => out.push_str(line),
        }
    }
    if edit.is_none() {
        Ok(out)
    } else {
        Err(format!("no `{key}` in {table}"))
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
