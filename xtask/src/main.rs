//! Development tasks for this workspace, run as `cargo xtask <task>`.
//!
//! - `cargo xtask ci`: what `.ci/run` calls: the dependencies' `rust-version`s, formatting,
//!   lints, tests and docs, in that order, stopping at the first step that fails and naming it.
//! - `cargo xtask bench`: every crate's benchmarks, each median printed beside the previous one
//!   from `docs/benchmarks.md`, which it then rewrites.
//! - `cargo xtask interop`: the official Python and JS identity SDKs against the emulator.
//! - `cargo xtask chat-bench`: chat throughput of `acs-chat` and the official JS and Python chat
//!   clients against one emulator; writes its section of `docs/benchmarks.md`.
//! - `cargo xtask release <patch|minor|major|VERSION> [--execute] [--publish]`: see `release.rs`.

mod bench;
mod changelog;
mod chat_bench;
mod command;
mod interop;
mod manifest;
mod msrv;
mod release;
mod version;
mod workspace;

use std::env;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(&root),
        Some("bench") => bench::run(&root),
        Some("interop") => interop::run(&root),
        Some("chat-bench") => chat_bench::run(&root),
        Some("release") => {
            release::ReleaseArgs::parse(&args[1..]).and_then(|args| release::run(&root, &args))
        }
        Some("help" | "--help" | "-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`; run `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <task>\n\n\
         tasks:\n  \
         ci                 rust-version check, fmt check, clippy (-D warnings), tests (default and all features), docs (-D warnings)\n  \
         bench              run every crate's benchmarks, compare with docs/benchmarks.md, rewrite it\n  \
         interop            official Python and JS identity SDKs against the emulator\n  \
         chat-bench         chat throughput: acs-chat vs the official JS and Python clients, one emulator\n  \
         release <LEVEL>    plan a release: LEVEL is patch, minor, major or a version\n      \
         --execute      edit versions and changelogs, commit, tag\n      \
         --publish      with --execute: publish to crates.io (token from CARGO_REGISTRY_TOKEN or asked)\n      \
         --skip-ci      do not run `cargo xtask ci` first\n      \
         --allow-dirty  dry run on a tree with uncommitted changes"
    );
}

/// One CI step: a name for the report and the cargo arguments that run it.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const CI_STEPS: &[Step] = &[
    Step {
        name: "fmt",
        args: &["fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        name: "clippy",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    // The README's test command, as written (default features), then every feature on: some
    // tests exist only without a feature (e.g. the emulator's error for `--tls` without `tls`).
    Step {
        name: "test",
        args: &["test", "--workspace"],
        env: &[],
    },
    Step {
        name: "test-all-features",
        args: &["test", "--workspace", "--all-features"],
        env: &[],
    },
    Step {
        name: "doc",
        args: &["doc", "--workspace", "--no-deps", "--all-features"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    // What `cargo doc -p acs-common` shows a newcomer: default features, so links to modules
    // that are switched off must still resolve.
    Step {
        name: "doc-default-features",
        args: &["doc", "-p", "acs-common", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

fn ci(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    msrv::check(root).map_err(|error| format!("step `msrv` failed: {error}"))?;
    for step in CI_STEPS {
        let step_started = Instant::now();
        command::run(
            &format!("ci: step `{}`", step.name),
            command::cargo(root, step.args).envs(step.env.iter().copied()),
        )?;
        println!(
            "xtask ci: step `{}` passed in {:.1} s",
            step.name,
            step_started.elapsed().as_secs_f64()
        );
    }
    println!(
        "xtask ci: all steps passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn workspace_root() -> PathBuf {
    // xtask lives in `<root>/xtask`, so its manifest directory's parent is the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
