//! `cargo xtask chat-bench`: `acs-chat`, the official JS chat client and the official Python
//! chat client (asyncio) side by side against one emulator, in one run.
//!
//! Builds the emulator (release, feature `tls`) and `acs-chat`'s `chat_vs_sdks` bench target
//! (release), installs the pinned SDKs as `cargo xtask interop` does (the Python one in a venv
//! of its own under `<target>/chat-bench`, with aiohttp for the asyncio client), starts one
//! emulator in TLS mode (both SDKs refuse bearer tokens over http) with its certificate trusted,
//! never ignored, and runs each client once: for 1 and then 32 concurrent senders, 2 000
//! messages sent into a new thread, then listed by one caller at 100 per page. Prints a table
//! and writes it, with the date and the machine, as the "Chat: acs-chat vs the official SDKs"
//! section of `docs/benchmarks.md` (which `cargo xtask bench` keeps). Not part of `ci`.

use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bench;
use crate::command;
use crate::interop::{self, RunningEmulator};

/// The heading of the section this task writes in `docs/benchmarks.md`.
pub(crate) const SECTION_HEADING: &str = "## Chat: acs-chat vs the official SDKs";
/// How long one client's run may take before it is stopped and the task fails.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(600);
/// Messages each run sends (and lists back).
const MESSAGES: f64 = 2000.0;

/// One client's figures for one number of senders, as its script prints them.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    senders: u64,
    send_seconds: f64,
    list_seconds: f64,
    send_p50_ms: f64,
    send_p99_ms: f64,
}

/// One client's report: its name and version, and its runs.
#[derive(Debug, Clone, PartialEq)]
struct ClientReport {
    client: String,
    runs: Vec<Run>,
}

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let target = interop::target_dir(root);
    let work = target.join("chat-bench");
    fs::create_dir_all(&work)
        .map_err(|error| format!("cannot create {}: {error}", work.display()))?;
    let scripts = root.join("crates/acs-emulator/interop");

    command::run(
        "chat-bench: build the emulator",
        &mut command::cargo(
            root,
            &[
                "build",
                "--release",
                "-p",
                "acs-emulator",
                "--bin",
                "acs-emulator",
                "--features",
                "tls",
            ],
        ),
    )?;
    let rust_bench = ["bench", "-p", "acs-chat", "--bench", "chat_vs_sdks"];
    let mut build_rust = command::cargo(root, &rust_bench);
    build_rust.arg("--no-run");
    command::run("chat-bench: build acs-chat's bench", &mut build_rust)?;
    let python = prepare_python(&scripts.join("python"), &work)?;
    let js = interop::prepare_js(&scripts.join("js"), &target.join("interop"))?;

    let binary = target
        .join("release")
        .join(format!("acs-emulator{}", interop::env_exe_suffix()));
    let cert_file = work.join("emulator-cert.pem");
    let _ = fs::remove_file(&cert_file);
    let emulator = RunningEmulator::start(
        &binary,
        &[
            "--tls".as_ref(),
            "--cert-out".as_ref(),
            cert_file.as_os_str(),
        ],
    )?;
    println!("xtask chat-bench: TLS emulator at {}", emulator.endpoint);

    let mut reports = Vec::new();
    let mut emulator_cpu = String::new();
    for (name, mut client) in [
        ("acs-chat", command::cargo(root, &rust_bench)),
        ("js", interop::with_script(&js, "chat_bench.mjs")),
        ("python", python),
    ] {
        client
            .env(interop::CONNECTION_STRING_VAR, &emulator.connection_string)
            .env(interop::CERT_FILE_VAR, &cert_file)
            .env("NODE_EXTRA_CA_CERTS", &cert_file);
        println!("xtask chat-bench: running {name}");
        let cpu_before = cpu_seconds(emulator.pid());
        let started = Instant::now();
        let stdout = run_client(&mut client)
            .map_err(|error| format!("chat-bench: the {name} client failed: {error}"))?;
        let wall = started.elapsed().as_secs_f64();
        let report = parse_report(&stdout)
            .map_err(|error| format!("chat-bench: the {name} client's report: {error}"))?;
        if let (Some(before), Some(after)) = (cpu_before, cpu_seconds(emulator.pid())) {
            let _ = writeln!(
                emulator_cpu,
                "- {}: the emulator used {:.2} s of CPU in the {wall:.1} s the client ran \
                 (start-up and set-up included)",
                report.client,
                after - before
            );
        }
        reports.push(report);
    }
    drop(emulator);

    let mut table = table(&reports);
    if !emulator_cpu.is_empty() {
        table.push('\n');
        table.push_str(&emulator_cpu);
    }
    println!("\n{table}");
    let date = bench::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let machine = format!(
        "{}, {} cores, {}",
        bench::cpu_model().unwrap_or_else(|| "unknown CPU".to_owned()),
        std::thread::available_parallelism().map_or(0, usize::from),
        bench::memory().unwrap_or_else(|| "unknown memory".to_owned())
    );
    let section = section(date.trim(), &machine, &table);
    let path = root.join("docs").join("benchmarks.md");
    let doc = fs::read_to_string(&path).unwrap_or_default();
    fs::write(&path, replace_section(&doc, &section))
        .map_err(|error| format!("could not write {}: {error}", path.display()))?;
    println!("xtask chat-bench: wrote the section to {}", path.display());
    Ok(())
}

/// The venv's interpreter running `chat_bench.py`, installing `requirements-bench.txt` unless
/// the venv was made from this very file.
fn prepare_python(dir: &Path, work: &Path) -> Result<Command, String> {
    let requirements_path = dir.join("requirements-bench.txt");
    let requirements = fs::read_to_string(&requirements_path)
        .map_err(|error| format!("cannot read {}: {error}", requirements_path.display()))?;
    // Both files: the bench one includes the other.
    let base_requirements = fs::read_to_string(dir.join("requirements.txt")).unwrap_or_default();
    let wanted = format!("{requirements}{base_requirements}");
    let venv = work.join("venv");
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    let stamp = work.join("venv.requirements.txt");
    if !(python.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())) {
        let _ = fs::remove_file(&stamp);
        if !python.exists() {
            let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
            println!("xtask chat-bench: creating a venv at {}", venv.display());
            interop::quiet(Command::new(&base).arg("-m").arg("venv").arg(&venv))
                .map_err(|error| format!("cannot create a venv with `{base}`: {error}"))?;
        }
        println!(
            "xtask chat-bench: pip install -r {}",
            requirements_path.display()
        );
        interop::quiet(
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
                .args(["--timeout", "30", "-r"])
                .arg(&requirements_path),
        )
        .map_err(|error| format!("installing the Python SDK failed: {error}"))?;
        fs::write(&stamp, &wanted)
            .map_err(|error| format!("cannot write {}: {error}", stamp.display()))?;
    }
    let mut command = Command::new(python);
    command.arg("chat_bench.py").current_dir(dir);
    Ok(command)
}

/// The CPU time (user and system) a process has used so far, from `/proc` (Linux only).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_seconds_of_stat(&stat, 100.0)
}

/// The user and system CPU seconds in a `/proc/<pid>/stat` line (fields 14 and 15, counted
/// after the parenthesized command name, which may hold spaces), at `ticks` per second.
fn cpu_seconds_of_stat(stat: &str, ticks: f64) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name, field 3 (the state) comes first: utime (14) is at index 11.
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / ticks)
}

/// Runs one client (its standard error shown as it goes) and returns its standard output;
/// stopped after [`CLIENT_TIMEOUT`].
fn run_client(command: &mut Command) -> Result<String, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("could not start {:?}: {error}", command.get_program()))?;
    let mut stdout = child.stdout.take().ok_or("no standard output")?;
    // Read while it runs, so a full pipe never blocks the client.
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let status = match interop::wait_with_timeout(&mut child, CLIENT_TIMEOUT) {
        Ok(Some(status)) => status,
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s", CLIENT_TIMEOUT.as_secs()));
        }
        Err(error) => return Err(format!("could not wait for it: {error}")),
    };
    let text = reader.join().unwrap_or_default();
    if status.success() {
        Ok(text)
    } else {
        Err(format!(
            "exited with {status}: {}",
            interop::last_lines(&text, 5)
        ))
    }
}

/// The report in a client's output: its last line that is a JSON object.
fn parse_report(stdout: &str) -> Result<ClientReport, String> {
    let line = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('{'))
        .ok_or_else(|| format!("no JSON line in: {}", interop::last_lines(stdout, 3)))?;
    let value: Value = serde_json::from_str(line).map_err(|error| error.to_string())?;
    let client = value["client"].as_str().ok_or("no `client`")?.to_owned();
    let number = |run: &Value, field: &str| {
        run[field]
            .as_f64()
            .ok_or_else(|| format!("a run without a number `{field}`"))
    };
    let runs = value["runs"]
        .as_array()
        .ok_or("no `runs`")?
        .iter()
        .map(|run| {
            Ok(Run {
                senders: run["senders"].as_u64().ok_or("a run without `senders`")?,
                send_seconds: number(run, "send_seconds")?,
                list_seconds: number(run, "list_seconds")?,
                send_p50_ms: number(run, "send_p50_ms")?,
                send_p99_ms: number(run, "send_p99_ms")?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if runs.is_empty() {
        return Err("no runs".to_owned());
    }
    Ok(ClientReport { client, runs })
}

/// Messages per second of a run's sends.
fn send_rate(run: &Run) -> f64 {
    MESSAGES / run.send_seconds
}

/// The Markdown table of all clients' runs, and at each number of senders the first client's
/// (acs-chat's) send throughput as a multiple of each other client's.
fn table(reports: &[ClientReport]) -> String {
    let mut out = String::from(
        "| client | senders | send: messages/s | send latency p50 / p99 | list 2 000 at 100 per page: messages/s |\n|---|---:|---:|---:|---:|\n",
    );
    for report in reports {
        for run in &report.runs {
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.2} / {:.1} ms | {:.0} |",
                report.client,
                run.senders,
                send_rate(run),
                run.send_p50_ms,
                run.send_p99_ms,
                MESSAGES / run.list_seconds
            );
        }
    }
    if let Some((ours, others)) = reports.split_first() {
        out.push('\n');
        for run in &ours.runs {
            let ratios: Vec<String> = others
                .iter()
                .filter_map(|other| {
                    let theirs = other.runs.iter().find(|them| them.senders == run.senders)?;
                    Some(format!(
                        "{:.1}× {}",
                        send_rate(run) / send_rate(theirs),
                        other.client
                    ))
                })
                .collect();
            if !ratios.is_empty() {
                let _ = writeln!(
                    out,
                    "- senders = {}: {} sends {}",
                    run.senders,
                    ours.client,
                    ratios.join(", ")
                );
            }
        }
    }
    out
}

/// The section this task writes in `docs/benchmarks.md`, without the previous run.
fn section(date: &str, machine: &str, table: &str) -> String {
    format!(
        "{SECTION_HEADING}\n\n\
         Written by `cargo xtask chat-bench` on {date}.\n\
         Machine: {machine}.\n\
         Shared with other builds; the emulator (release, TLS) and each client run on the same\n\
         cores and talk over loopback.\n\n\
         Each client in turn, against the same emulator: creates a thread, sends 2 000 messages\n\
         with 1 sender, then into a new thread with 32 concurrent senders (tasks, promises), each\n\
         sending its share one after another; after each, one caller lists them all at 100 per\n\
         page. Target (issue 13): at 32 senders, `acs-chat` sends at least 3× as fast as the JS\n\
         client and 10× as fast as the Python client.\n\n{table}"
    )
}

/// The date and the table lines (the table and the ratios) of a section this task wrote.
fn run_of(section: &str) -> Option<(&str, String)> {
    let date = section.lines().find_map(|line| {
        line.strip_prefix("Written by `cargo xtask chat-bench` on ")
            .map(|date| date.trim_end_matches('.'))
    })?;
    let lines = || section.lines().take_while(|line| !line.starts_with("### "));
    let mut table: String = lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| format!("{line}\n"))
        .collect();
    let notes: String = lines()
        .filter(|line| line.starts_with("- "))
        .map(|line| format!("{line}\n"))
        .collect();
    if table.is_empty() {
        return None;
    }
    if !notes.is_empty() {
        table.push('\n');
        table.push_str(&notes);
    }
    Some((date, table))
}

/// `doc` with its [`SECTION_HEADING`] section (up to the next `##` heading) replaced by
/// `section` followed by the replaced section's run as "Previous run", or `section` added at
/// the end.
fn replace_section(doc: &str, section: &str) -> String {
    let mut out = String::new();
    let mut replaced = false;
    let mut skipping = false;
    for piece in bench::sections(doc) {
        let heading = piece.lines().next().unwrap_or_default().trim_end();
        if heading == SECTION_HEADING {
            skipping = true;
            replaced = true;
            out.push_str(section.trim_end());
            out.push_str("\n\n");
            if let Some((date, table)) = run_of(piece) {
                let _ = write!(out, "### Previous run ({date})\n\n{table}\n");
            }
            continue;
        }
        if skipping && heading.starts_with("### ") {
            continue; // under the replaced section
        }
        skipping = false;
        out.push_str(piece);
    }
    if !replaced {
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(section.trim_end());
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUST: &str = "   Compiling acs-chat\n{\"client\":\"rust acs-chat 0.1.0\",\"runs\":[{\"senders\":1,\"send_seconds\":0.5,\"list_seconds\":0.1,\"listed\":2000,\"send_p50_ms\":0.2,\"send_p99_ms\":1.0},{\"senders\":32,\"send_seconds\":0.25,\"list_seconds\":0.1,\"listed\":2000,\"send_p50_ms\":3.0,\"send_p99_ms\":9.0}]}\n";

    #[test]
    fn cpu_time_is_read_from_proc_stat_even_with_spaces_in_the_name() {
        let stat = "4242 (acs emulator) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0";
        assert_eq!(cpu_seconds_of_stat(stat, 100.0), Some(3.0));
        assert_eq!(cpu_seconds_of_stat("4242 (x) S 1", 100.0), None);
        assert_eq!(cpu_seconds_of_stat("garbage", 100.0), None);
        if cfg!(target_os = "linux") {
            assert!(cpu_seconds(std::process::id()).is_some());
        }
    }

    #[test]
    fn a_client_report_is_read_from_its_last_json_line() {
        let report = parse_report(RUST).expect("a report");
        assert_eq!(report.client, "rust acs-chat 0.1.0");
        assert_eq!(report.runs.len(), 2);
        assert_eq!(report.runs[1].senders, 32);
        assert_eq!(send_rate(&report.runs[1]), 8000.0);
        assert!(parse_report("no json\n").is_err());
        assert!(parse_report("{\"client\":\"x\",\"runs\":[]}").is_err());
        assert!(parse_report("{\"client\":\"x\",\"runs\":[{\"senders\":1}]}").is_err());
        assert!(parse_report("{not json").is_err());
    }

    #[test]
    fn the_table_gives_each_run_and_the_ratios_at_each_number_of_senders() {
        let rust = parse_report(RUST).expect("a report");
        let js = ClientReport {
            client: "js".to_owned(),
            runs: vec![Run {
                senders: 32,
                send_seconds: 1.0,
                list_seconds: 0.2,
                send_p50_ms: 10.0,
                send_p99_ms: 50.0,
            }],
        };
        let table = table(&[rust, js]);
        assert!(
            table.contains("| rust acs-chat 0.1.0 | 32 | 8000 | 3.00 / 9.0 ms | 20000 |"),
            "{table}"
        );
        assert!(
            table.contains("| js | 32 | 2000 | 10.00 / 50.0 ms | 10000 |"),
            "{table}"
        );
        assert!(
            table.contains("- senders = 32: rust acs-chat 0.1.0 sends 4.0× js\n"),
            "{table}"
        );
        assert!(
            !table.contains("senders = 1"),
            "no ratio without the other's run: {table}"
        );
    }

    #[test]
    fn the_section_is_replaced_in_place_keeping_the_previous_run_or_added_at_the_end() {
        let older = section(
            "2026-12-03 10:00 UTC",
            "m",
            "| a | 1 |\n|---|---:|\n| old | 2 |\n\n- senders = 32: x sends 5.0× y\n",
        );
        let doc = format!(
            "# Benchmarks\n\n## Figures\n\nx\n\n{older}\n### Previous run (2026-12-01 09:00 UTC)\n\n| oldest |\n\n## Later\n\ny\n"
        );
        let new = section(
            "2026-12-04 10:00 UTC",
            "m",
            "| a | 1 |\n|---|---:|\n| new | 3 |\n",
        );
        let replaced = replace_section(&doc, &new);
        assert_eq!(
            replaced,
            format!(
                "# Benchmarks\n\n## Figures\n\nx\n\n{new}\n\
                 ### Previous run (2026-12-03 10:00 UTC)\n\n\
                 | a | 1 |\n|---|---:|\n| old | 2 |\n\n- senders = 32: x sends 5.0× y\n\n\
                 ## Later\n\ny\n"
            )
        );
        assert!(
            !replaced.contains("oldest"),
            "only one previous run is kept"
        );
        assert_eq!(
            replace_section("# Benchmarks\n\nx\n", &new),
            format!("# Benchmarks\n\nx\n\n{new}")
        );
        assert_eq!(replace_section("", &new), new);
        // Run again with the same figures: the same file, the new run now the previous one.
        let again = replace_section(&replaced, &new);
        assert!(
            again.contains("### Previous run (2026-12-04 10:00 UTC)"),
            "{again}"
        );
        assert_eq!(again.matches(SECTION_HEADING).count(), 1);
    }
}
