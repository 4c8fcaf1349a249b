//! `cargo xtask release <patch|minor|major|VERSION> [--execute] [--publish]`.
//!
//! A dry run by default: it checks the tree and CI, works out which crates to release and at
//! which versions, checks their changelogs, packages them in dependency order and prints the
//! plan. `--execute` then edits versions and changelogs, commits and tags; `--publish` also
//! uploads, with a registry token read from `CARGO_REGISTRY_TOKEN` or asked for (never printed).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, IsTerminal, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::changelog;
use crate::command;
use crate::manifest;
use crate::version::{Bump, Version};
use crate::workspace::{self, Crate};

/// Why a crate is in a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// No tag exists for its current version: it is released as it stands.
    FirstRelease,
    /// Its files changed since its last release tag.
    Changed,
    /// A crate it depends on is released.
    Dependent,
}

/// One crate of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedCrate {
    pub(crate) name: String,
    pub(crate) old: Version,
    pub(crate) new: Version,
    pub(crate) reason: Reason,
}

impl PlannedCrate {
    pub(crate) fn tag(&self) -> String {
        tag_name(&self.name, &self.new)
    }
}

/// The tag a release of `name` at `version` gets.
pub(crate) fn tag_name(name: &str, version: &Version) -> String {
    format!("{name}-v{version}")
}

/// Works out the release: publishable crates that changed (or were never released) and the
/// crates depending on them, with their new versions, in publish order.
pub(crate) fn plan(
    crates: &[Crate],
    unreleased: &BTreeSet<String>,
    changed: &BTreeSet<String>,
    bump: &Bump,
) -> Result<Vec<PlannedCrate>, String> {
    let publishable: Vec<Crate> = crates
        .iter()
        .filter(|krate| krate.publish)
        .cloned()
        .collect();
    let seeds: BTreeSet<String> = unreleased.union(changed).cloned().collect();
    let affected = workspace::with_dependents(&publishable, &seeds);
    let by_name: BTreeMap<&str, &Crate> =
        publishable.iter().map(|k| (k.name.as_str(), k)).collect();
    let mut planned = Vec::new();
    for name in workspace::publish_order(&publishable)? {
        if !affected.contains(&name) {
            continue;
        }
        let krate = by_name[name.as_str()];
        let (new, reason) = if unreleased.contains(&name) {
            (krate.version.clone(), Reason::FirstRelease)
        } else {
            let reason = if changed.contains(&name) {
                Reason::Changed
            } else {
                Reason::Dependent
            };
            (
                bump.apply(&krate.version)
                    .map_err(|error| format!("{name}: {error}"))?,
                reason,
            )
        };
        planned.push(PlannedCrate {
            name,
            old: krate.version.clone(),
            new,
            reason,
        });
    }
    Ok(planned)
}

/// The plan as a table a person reads before saying `--execute`.
pub(crate) fn render_plan(planned: &[PlannedCrate]) -> String {
    let mut out = String::new();
    let width = planned
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:>5}  {:<width$}  {:<20}  {:<13}  tag",
        "order", "crate", "version", "why"
    );
    for (i, entry) in planned.iter().enumerate() {
        let versions = format!("{} -> {}", entry.old, entry.new);
        let why = match entry.reason {
            Reason::FirstRelease => "first release",
            Reason::Changed => "changed",
            Reason::Dependent => "dependency",
        };
        let _ = writeln!(
            out,
            "{:>5}  {:<width$}  {versions:<20}  {why:<13}  {}",
            i + 1,
            entry.name,
            entry.tag()
        );
    }
    out
}

/// Options of one `release` run.
#[derive(Debug)]
pub(crate) struct ReleaseArgs {
    pub(crate) bump: Bump,
    pub(crate) execute: bool,
    pub(crate) publish: bool,
    pub(crate) skip_ci: bool,
    pub(crate) allow_dirty: bool,
}

impl ReleaseArgs {
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut bump = None;
        let mut parsed = ReleaseArgs {
            bump: Bump::Patch,
            execute: false,
            publish: false,
            skip_ci: false,
            allow_dirty: false,
        };
        for arg in args {
            match arg.as_str() {
                "--execute" => parsed.execute = true,
                "--publish" => parsed.publish = true,
                "--skip-ci" => parsed.skip_ci = true,
                "--allow-dirty" => parsed.allow_dirty = true,
                flag if flag.starts_with("--") => return Err(format!("unknown flag `{flag}`")),
                level if bump.is_none() => bump = Some(level.parse()?),
                extra => return Err(format!("unexpected argument `{extra}`")),
            }
        }
        if parsed.publish && !parsed.execute {
            return Err("--publish needs --execute".to_owned());
        }
        if parsed.execute && parsed.allow_dirty {
            return Err("--execute needs a clean tree; --allow-dirty is for dry runs".to_owned());
        }
        parsed.bump = bump.ok_or("say which release: patch, minor, major or a version")?;
        Ok(parsed)
    }
}

pub(crate) fn run(root: &Path, args: &ReleaseArgs) -> Result<(), String> {
    let dirty = git(root, &["status", "--porcelain"])?;
    if !dirty.trim().is_empty() {
        if args.allow_dirty {
            println!("release: the tree has uncommitted changes (allowed for this dry run)");
        } else {
            return Err("the tree has uncommitted changes; commit or stash them first".to_owned());
        }
    } else {
        println!("release: the tree is clean");
    }
    if args.skip_ci {
        println!("release: skipping `cargo xtask ci` (--skip-ci)");
    } else {
        crate::ci(root)?;
    }

    let crates = workspace::load(root)?;
    let mut unreleased = BTreeSet::new();
    let mut changed = BTreeSet::new();
    for krate in crates.iter().filter(|krate| krate.publish) {
        let tag = tag_name(&krate.name, &krate.version);
        if git(root, &["tag", "--list", &tag])?.trim().is_empty() {
            unreleased.insert(krate.name.clone());
        } else {
            let dir = krate.dir.to_string_lossy();
            let diff = git(root, &["diff", "--name-only", &tag, "HEAD", "--", &dir])?;
            if !diff.trim().is_empty() {
                changed.insert(krate.name.clone());
            }
        }
    }
    let planned = plan(&crates, &unreleased, &changed, &args.bump)?;
    if planned.is_empty() {
        println!("release: nothing changed since the last release tags; nothing to do");
        return Ok(());
    }

    let by_name: BTreeMap<&str, &Crate> = crates.iter().map(|k| (k.name.as_str(), k)).collect();
    let mut missing = Vec::new();
    for entry in &planned {
        let path = by_name[entry.name.as_str()].dir.join("CHANGELOG.md");
        let text = fs::read_to_string(&path).unwrap_or_default();
        if changelog::unreleased_entries(&text).is_empty() {
            missing.push(format!(
                "{} (add entries under `## [Unreleased]` in {})",
                entry.name,
                path.display()
            ));
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "changelog entries missing for: {}",
            missing.join("; ")
        ));
    }

    println!(
        "release plan ({}):\n{}",
        if args.execute { "executing" } else { "dry run" },
        render_plan(&planned)
    );
    let names: Vec<&str> = planned.iter().map(|entry| entry.name.as_str()).collect();
    // Every publishable crate is packaged, not only the planned ones: cargo then resolves the
    // workspace crates among themselves, whether or not a registry has them yet.
    let publishable: Vec<Crate> = crates
        .iter()
        .filter(|krate| krate.publish)
        .cloned()
        .collect();
    let order = workspace::publish_order(&publishable)?;
    let all: Vec<&str> = order.iter().map(String::as_str).collect();
    package_dry_run(root, &all, !dirty.trim().is_empty())?;

    if !args.execute {
        println!(
            "release: dry run complete; run again with --execute to edit versions, commit and tag"
        );
        return Ok(());
    }
    apply(root, &planned, &by_name)?;
    if args.publish {
        publish(root, &names)?;
    } else {
        println!(
            "release: tagged; publish with `cargo xtask release ... --execute --publish` or `cargo publish`"
        );
    }
    Ok(())
}

/// Packages the crates in order, as a publish would, without uploading.
fn package_dry_run(root: &Path, names: &[&str], allow_dirty: bool) -> Result<(), String> {
    let mut args = vec!["publish", "--dry-run", "--no-verify"];
    if allow_dirty {
        args.push("--allow-dirty");
    }
    for name in names {
        args.extend(["--package", name]);
    }
    command::run("release: package dry run", &mut command::cargo(root, &args))?;
    println!("release: package dry run passed for {} crates", names.len());
    Ok(())
}

fn apply(
    root: &Path,
    planned: &[PlannedCrate],
    by_name: &BTreeMap<&str, &Crate>,
) -> Result<(), String> {
    let date = git(root, &["log", "-1", "--format=%cs"])?.trim().to_owned();
    let root_manifest_path = root.join("Cargo.toml");
    let mut root_manifest = read(&root_manifest_path)?;
    for entry in planned {
        let krate = by_name[entry.name.as_str()];
        let new = entry.new.to_string();
        let manifest_path = krate.dir.join("Cargo.toml");
        write(
            &manifest_path,
            &manifest::set_package_version(&read(&manifest_path)?, &new)?,
        )?;
        root_manifest =
            manifest::set_workspace_dependency_version(&root_manifest, &entry.name, &new)
                .map_err(|error| format!("{}: {error}", entry.name))?;
        let changelog_path = krate.dir.join("CHANGELOG.md");
        write(
            &changelog_path,
            &changelog::release(&read(&changelog_path)?, &new, &date)?,
        )?;
    }
    write(&root_manifest_path, &root_manifest)?;
    // Refresh Cargo.lock for the new versions.
    run_cargo(root, &["metadata", "--format-version", "1", "--no-deps"])?;
    let summary: Vec<String> = planned
        .iter()
        .map(|e| format!("{} {}", e.name, e.new))
        .collect();
    git(
        root,
        &[
            "commit",
            "--all",
            "--message",
            &format!("Release {}", summary.join(", ")),
        ],
    )?;
    for entry in planned {
        git(
            root,
            &["tag", "--annotate", &entry.tag(), "--message", &entry.tag()],
        )?;
        println!("release: tagged {}", entry.tag());
    }
    Ok(())
}

fn publish(root: &Path, names: &[&str]) -> Result<(), String> {
    let token = match std::env::var("CARGO_REGISTRY_TOKEN") {
        Ok(token) if !token.trim().is_empty() => token,
        _ => ask_for_token()?,
    };
    for name in names {
        command::run(
            &format!("release: publishing {name}"),
            command::cargo(root, &["publish", "--package", name])
                .env("CARGO_REGISTRY_TOKEN", &token),
        )
        .map_err(|error| format!("{error}; the crates before it are published"))?;
    }
    Ok(())
}

/// Reads a registry token from the terminal with echo off, so it never shows on screen.
fn ask_for_token() -> Result<String, String> {
    if !std::io::stdin().is_terminal() {
        return Err("publishing needs CARGO_REGISTRY_TOKEN or a terminal to ask for it".to_owned());
    }
    print!("crates.io token (not shown): ");
    let _ = std::io::stdout().flush();
    let stty = |arg: &str| {
        Command::new("stty")
            .arg(arg)
            .stdin(Stdio::inherit())
            .status()
    };
    let _ = stty("-echo");
    let mut token = String::new();
    let read = std::io::stdin().lock().read_line(&mut token);
    let _ = stty("echo");
    println!();
    read.map_err(|error| format!("could not read the token: {error}"))?;
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err("no token given".to_owned());
    }
    Ok(token)
}

fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    command::output("release", &mut command::git(root, args))
}

fn run_cargo(root: &Path, args: &[&str]) -> Result<(), String> {
    command::output("release", &mut command::cargo(root, args)).map(drop)
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|error| format!("could not read {}: {error}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|error| format!("could not write {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::tests::krate;

    fn names(set: &[&str]) -> BTreeSet<String> {
        set.iter().map(|name| (*name).to_owned()).collect()
    }

    fn workspace_crates() -> Vec<Crate> {
        let mut xtask = krate("xtask", &[]);
        xtask.publish = false;
        vec![
            krate("umbrella", &["refresh", "token", "ids"]),
            krate("refresh", &["token"]),
            krate("token", &[]),
            krate("ids", &[]),
            xtask,
        ]
    }

    #[test]
    fn first_release_keeps_current_versions_and_skips_unpublishable_crates() {
        let crates = workspace_crates();
        let all = names(&["umbrella", "refresh", "token", "ids", "xtask"]);
        let planned = plan(&crates, &all, &BTreeSet::new(), &Bump::Patch).unwrap();
        let summary: Vec<(String, String, Reason)> = planned
            .iter()
            .map(|p| (p.name.clone(), p.new.to_string(), p.reason))
            .collect();
        assert_eq!(
            summary,
            [
                ("ids".to_owned(), "0.1.0".to_owned(), Reason::FirstRelease),
                ("token".to_owned(), "0.1.0".to_owned(), Reason::FirstRelease),
                (
                    "refresh".to_owned(),
                    "0.1.0".to_owned(),
                    Reason::FirstRelease
                ),
                (
                    "umbrella".to_owned(),
                    "0.1.0".to_owned(),
                    Reason::FirstRelease
                ),
            ]
        );
        assert_eq!(planned[3].tag(), "umbrella-v0.1.0");
    }

    #[test]
    fn a_change_bumps_the_crate_and_its_dependents_only() {
        let crates = workspace_crates();
        let planned = plan(&crates, &BTreeSet::new(), &names(&["token"]), &Bump::Minor).unwrap();
        let summary: Vec<(String, String, String, Reason)> = planned
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.old.to_string(),
                    p.new.to_string(),
                    p.reason,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "token".to_owned(),
                    "0.1.0".to_owned(),
                    "0.1.1".to_owned(),
                    Reason::Changed
                ),
                (
                    "refresh".to_owned(),
                    "0.1.0".to_owned(),
                    "0.1.1".to_owned(),
                    Reason::Dependent
                ),
                (
                    "umbrella".to_owned(),
                    "0.1.0".to_owned(),
                    "0.1.1".to_owned(),
                    Reason::Dependent
                ),
            ]
        );
        let table = render_plan(&planned);
        assert!(table.contains("token"), "{table}");
        assert!(table.contains("0.1.0 -> 0.1.1"), "{table}");
        assert!(table.contains("umbrella-v0.1.1"), "{table}");
        assert!(!table.contains("ids"), "{table}");
    }

    #[test]
    fn nothing_changed_plans_nothing() {
        let planned = plan(
            &workspace_crates(),
            &BTreeSet::new(),
            &BTreeSet::new(),
            &Bump::Major,
        )
        .unwrap();
        assert!(planned.is_empty());
    }

    #[test]
    fn parses_arguments() {
        let args = |list: &[&str]| {
            ReleaseArgs::parse(&list.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
        };
        let parsed = args(&["minor", "--execute"]).unwrap();
        assert_eq!(parsed.bump, Bump::Minor);
        assert!(parsed.execute && !parsed.publish);
        assert_eq!(
            args(&["1.2.3"]).unwrap().bump,
            Bump::Exact("1.2.3".parse().unwrap())
        );
        assert!(args(&[]).is_err());
        assert!(args(&["patch", "--publish"]).is_err());
        assert!(args(&["patch", "--execute", "--allow-dirty"]).is_err());
        assert!(args(&["patch", "minor"]).is_err());
        assert!(args(&["patch", "--frobnicate"]).is_err());
    }
}
