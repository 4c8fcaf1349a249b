//! `cargo xtask bench`: runs every crate's benchmarks and writes `docs/benchmarks.md` with the
//! machine, the date, the figures and each crate's targets.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::workspace;

/// The speed targets each crate's issue set, shown next to the measured figures.
const TARGETS: &[(&str, &str)] = &[
    ("acs-token", "parse a typical ACS token in under 1 µs"),
    (
        "acs-identifiers",
        "≥ 49 M raw IDs parsed/s and ≥ 200 M formatted/s (10× the JavaScript SDK)",
    ),
    (
        "acs-refresh",
        "cached `get_token` under 15 ns, near-linear on 2 threads; 10 000 callers served within 10 ms of a 10 ms refresher; a proactive credential under 2 KiB",
    ),
    (
        "acs-auth",
        "≥ 600 000 signed 1 KiB POSTs/s (3× the JavaScript SDK)",
    ),
];

/// Figures that tests measure rather than benchmarks (memory needs a counting allocator): the
/// crate, the test target, and the prefix of the line it prints.
const MEASURING_TESTS: &[(&str, &str, &str)] =
    &[("acs-refresh", "memory", "proactive credential:")];

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let crates = workspace::load(root)?;
    let mut report = String::new();
    let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let _ = writeln!(report, "# Benchmarks\n");
    let _ = writeln!(
        report,
        "Written by `cargo xtask bench` on {}.\n",
        date.trim()
    );
    let _ = writeln!(report, "## Machine\n");
    let _ = writeln!(
        report,
        "- CPU: {}",
        cpu_model().unwrap_or_else(|| "unknown".to_owned())
    );
    let _ = writeln!(
        report,
        "- cores: {}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let _ = writeln!(
        report,
        "- memory: {}",
        memory().unwrap_or_else(|| "unknown".to_owned())
    );
    let rustc = command_output("rustc", &["--version"]).unwrap_or_default();
    let _ = writeln!(report, "- compiler: {}\n", rustc.trim());
    let _ = writeln!(report, "## Targets\n\n| crate | target |\n|---|---|");
    for (name, target) in TARGETS {
        let _ = writeln!(report, "| `{name}` | {target} |");
    }
    let _ = writeln!(report, "\n## Figures\n");
    let _ = writeln!(
        report,
        "Divan's tables as printed: fastest, slowest, median and mean time per iteration; where a\nbenchmark counts items, a second line gives the throughput.\n"
    );

    let mut benched = 0;
    for krate in crates
        .iter()
        .filter(|krate| krate.dir.join("benches").is_dir())
    {
        println!("xtask bench: cargo bench -p {}", krate.name);
        let output = Command::new(crate::cargo())
            .args(["bench", "--package", &krate.name, "--all-features"])
            .current_dir(root)
            .output()
            .map_err(|error| format!("could not run cargo bench: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "benchmarks of {} failed:\n{}",
                krate.name,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let tables = divan_tables(&String::from_utf8_lossy(&output.stdout));
        print!("{tables}");
        let _ = writeln!(report, "### `{}`\n\n```text\n{}```\n", krate.name, tables);
        benched += 1;
    }
    let _ = writeln!(report, "### Measured by tests\n\n```text");
    for (krate, test, prefix) in MEASURING_TESTS {
        println!("xtask bench: cargo test -p {krate} --test {test}");
        let output = Command::new(crate::cargo())
            .args([
                "test",
                "--release",
                "--all-features",
                "--package",
                krate,
                "--test",
                test,
                "--",
                "--nocapture",
            ])
            .current_dir(root)
            .output()
            .map_err(|error| format!("could not run cargo test: {error}"))?;
        if !output.status.success() {
            return Err(format!("the {test} test of {krate} failed"));
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        for line in stderr.lines().filter(|line| line.starts_with(prefix)) {
            println!("{line}");
            let _ = writeln!(report, "{krate}: {line}");
        }
    }
    let _ = writeln!(report, "```");
    let path = root.join("docs").join("benchmarks.md");
    fs::write(&path, report)
        .map_err(|error| format!("could not write {}: {error}", path.display()))?;
    println!(
        "xtask bench: {benched} crates benchmarked; wrote {}",
        path.display()
    );
    Ok(())
}

/// The lines of divan's output that belong to its result tables.
fn divan_tables(stdout: &str) -> String {
    let mut out = String::new();
    let mut in_table = false;
    for line in stdout.lines() {
        let starts_table = line.contains("fastest") && line.contains("median");
        let table_line = line.starts_with(['├', '╰', '│', ' ']) && !line.trim().is_empty();
        if starts_table {
            in_table = true;
        } else if in_table && !table_line {
            in_table = false;
        }
        if in_table || line.starts_with("Timer precision") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn cpu_model() -> Option<String> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .map(|model| model.trim().to_owned())
}

fn memory() -> Option<String> {
    let meminfo = fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = meminfo
        .lines()
        .find(|line| line.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_divan_tables() {
        let stdout = "running 3 tests\nTimer precision: 16 ns\nparse        fastest │ slowest │ median\n├─ a         1 ns    │ 2 ns    │ 1 ns\n╰─ b         3 ns    │ 4 ns    │ 3 ns\n\ntest result: ok\n";
        let tables = divan_tables(stdout);
        assert_eq!(
            tables,
            "Timer precision: 16 ns\nparse        fastest │ slowest │ median\n├─ a         1 ns    │ 2 ns    │ 1 ns\n╰─ b         3 ns    │ 4 ns    │ 3 ns\n"
        );
    }
}
