//! Development tasks for this workspace, run as `cargo xtask <task>`.
//!
//! `cargo xtask ci` is what `.ci/run` calls: formatting, lints, tests and docs, in that order,
//! stopping at the first step that fails and naming it.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
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
         ci    fmt check, clippy (-D warnings), tests, docs (-D warnings)"
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
    Step {
        name: "test",
        args: &["test", "--workspace", "--all-features"],
        env: &[],
    },
    Step {
        name: "doc",
        args: &["doc", "--workspace", "--no-deps", "--all-features"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

fn ci() -> Result<(), String> {
    let root = workspace_root();
    let started = Instant::now();
    for step in CI_STEPS {
        println!("xtask ci: step `{}`: cargo {}", step.name, step.args.join(" "));
        let step_started = Instant::now();
        let status = Command::new(cargo())
            .args(step.args)
            .envs(step.env.iter().copied())
            .current_dir(&root)
            .status()
            .map_err(|error| format!("step `{}` could not start cargo: {error}", step.name))?;
        if !status.success() {
            return Err(format!("step `{}` failed ({status})", step.name));
        }
        println!(
            "xtask ci: step `{}` passed in {:.1} s",
            step.name,
            step_started.elapsed().as_secs_f64()
        );
    }
    println!(
        "xtask ci: all {} steps passed in {:.1} s",
        CI_STEPS.len(),
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
