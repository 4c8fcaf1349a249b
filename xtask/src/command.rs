//! Running the programs a task calls. Each is printed before it runs, and a failure names the
//! step it belongs to and the command line.

use std::path::Path;
use std::process::Command;

/// The cargo running xtask (or `cargo`) with `args`, in the workspace root.
pub(crate) fn cargo(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(crate::cargo());
    command.args(args).current_dir(root);
    command
}

/// `git` with `args`, in the workspace root.
pub(crate) fn git(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command.args(args).current_dir(root);
    command
}

/// Runs `command` with the terminal as its input and output.
pub(crate) fn run(step: &str, command: &mut Command) -> Result<(), String> {
    let line = announce(step, command);
    let status = command
        .status()
        .map_err(|error| format!("{step}: could not start `{line}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step}: `{line}` failed ({status})"))
    }
}

/// Runs `command` and returns its standard output; a failure carries its standard error.
pub(crate) fn output(step: &str, command: &mut Command) -> Result<String, String> {
    let line = announce(step, command);
    let output = command
        .output()
        .map_err(|error| format!("{step}: could not start `{line}`: {error}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{step}: `{line}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ))
    }
}

/// Prints `command` under `step` and returns its command line.
fn announce(step: &str, command: &Command) -> String {
    let line = command_line(command);
    println!("xtask {step}: {line}");
    line
}

/// The program and its arguments as typed. The environment is left out, so a secret handed to
/// a program that way (the registry token) is never printed.
fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_leaves_the_environment_out() {
        let mut command = Command::new("cargo");
        command
            .args(["publish", "--package", "acs-token"])
            .env("CARGO_REGISTRY_TOKEN", "secret-token");
        assert_eq!(command_line(&command), "cargo publish --package acs-token");
    }

    #[test]
    fn a_failure_names_the_step_and_the_command() {
        let mut command = Command::new("git");
        command.args(["--no-such-flag-for-xtask"]);
        let error = output("test step", &mut command).unwrap_err();
        assert!(
            error.starts_with("test step: `git --no-such-flag-for-xtask` failed"),
            "{error}"
        );
        let error = run("test step", &mut Command::new("/nonexistent/xtask-program")).unwrap_err();
        assert!(
            error.starts_with("test step: could not start `/nonexistent/xtask-program`"),
            "{error}"
        );
    }
}
