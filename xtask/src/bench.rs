//! `cargo xtask bench`: runs every crate's benchmarks and writes `docs/benchmarks.md` with the
//! machine, the date, the figures and each crate's targets. Before overwriting it, each crate's
//! new medians are printed beside the ones the file held. Sections it does not write (notes by
//! hand, `cargo xtask chat-bench`'s) are kept, after the ones it writes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::command;
use crate::workspace;

/// The speed targets each crate's issue set, shown next to the measured figures.
const TARGETS: &[(&str, &str)] = &[
    ("acs-token", "parse a typical ACS token in under 1 µs"),
    (
        "acs-identifiers",
        "owned raw-ID parsing (`parse_owned`) ≥ 20 M/s (4× the JavaScript SDK's 4.9 M/s); ≥ 200 M formatted/s (10× its 20 M/s)",
    ),
    (
        "acs-refresh",
        "cached `get_token` ≤ 40 ns on one thread (≥ 2× the JavaScript SDK's 77 ns, ahead of the Python SDK's 47 ns on this machine kind), on 2 threads no worse than 2× that; 10 000 callers served within 10 ms of a 10 ms refresher; a proactive credential under 2 KiB",
    ),
    (
        "acs-auth",
        "≥ 600 000 signed 1 KiB POSTs/s (3× the JavaScript SDK)",
    ),
];

/// A figure that a test measures rather than a benchmark (memory needs a counting allocator).
struct MeasuringTest {
    krate: &'static str,
    /// The test target and the arguments for the test binary.
    target: &'static str,
    test_args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// How the line the test prints starts.
    prefix: &'static str,
}

const MEASURING_TESTS: &[MeasuringTest] = &[MeasuringTest {
    krate: "acs-refresh",
    target: "it",
    // Alone in this process, so no other test allocates while it counts; the variable makes
    // it measure here instead of starting a process of its own, whose output it would keep.
    test_args: &[
        "memory::one_proactive_credential_takes_under_2_kib_besides_its_token",
        "--exact",
        "--test-threads=1",
        "--nocapture",
    ],
    env: &[("ACS_REFRESH_TEST_IN_OWN_PROCESS", "1")],
    prefix: "proactive credential:",
}];

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let crates = workspace::load(root)?;
    let path = root.join("docs").join("benchmarks.md");
    let previous = fs::read_to_string(&path).unwrap_or_default();
    let previous_date = written_on(&previous).unwrap_or("an unknown date");
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
        let stdout = command::output(
            &format!("bench: {}", krate.name),
            &mut command::cargo(root, &["bench", "--package", &krate.name, "--all-features"]),
        )?;
        let tables = divan_tables(&stdout);
        print!("{tables}");
        match figures_of(&previous, &krate.name) {
            Some(before) => {
                println!(
                    "xtask bench: {} medians, {previous_date} -> now:",
                    krate.name
                );
                print!("{}", compare_medians(before, &tables));
            }
            None => println!("xtask bench: no previous figures for {}", krate.name),
        }
        let _ = writeln!(report, "### `{}`\n\n```text\n{}```\n", krate.name, tables);
        benched += 1;
    }
    let _ = writeln!(report, "### Measured by tests\n\n```text");
    for test in MEASURING_TESTS {
        let mut args = vec![
            "test",
            "--release",
            "--all-features",
            "--package",
            test.krate,
            "--test",
            test.target,
            "--",
        ];
        args.extend(test.test_args);
        let mut cargo = command::cargo(root, &args);
        cargo.envs(test.env.iter().copied());
        let line = format!("{}: {}", test.krate, test.prefix);
        // The figure is printed to the test's standard error, which `command::output` does not
        // return.
        println!("xtask bench: cargo {}", args.join(" "));
        let output = cargo
            .output()
            .map_err(|error| format!("bench: could not run cargo test: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "bench: the {} test of {} failed:\n{}",
                test.target,
                test.krate,
                String::from_utf8_lossy(&output.stderr).trim_end()
            ));
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let found: Vec<&str> = stderr
            .lines()
            .filter(|found| found.starts_with(test.prefix))
            .collect();
        if found.is_empty() {
            return Err(format!(
                "bench: the {} test of {} printed no line starting `{}`",
                test.target, test.krate, test.prefix
            ));
        }
        for figure in found {
            println!("now:      {}: {figure}", test.krate);
            let _ = writeln!(report, "{}: {figure}", test.krate);
        }
        for before in previous.lines().filter(|before| before.starts_with(&line)) {
            println!("previous: {before}");
        }
    }
    let _ = writeln!(report, "```");
    // Sections written by hand or by other tasks (`cargo xtask chat-bench`) stay, after ours.
    let kept = hand_written_sections(&previous);
    if !kept.is_empty() {
        report.push('\n');
        report.push_str(&kept);
    }
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

pub(crate) fn cpu_model() -> Option<String> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .map(|model| model.trim().to_owned())
}

pub(crate) fn memory() -> Option<String> {
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

pub(crate) fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let mut command = Command::new(program);
    command.args(args);
    command::output("bench", &mut command).ok()
}

/// When the benchmarks file was written, as it says.
fn written_on(doc: &str) -> Option<&str> {
    doc.lines()
        .find_map(|line| line.strip_prefix("Written by `cargo xtask bench` on "))
        .map(|date| date.trim_end_matches('.'))
}

/// The divan tables of `krate` in a benchmarks file.
fn figures_of<'a>(doc: &'a str, krate: &str) -> Option<&'a str> {
    let heading = format!("### `{krate}`\n");
    let section = &doc[doc.find(&heading)? + heading.len()..];
    let start = section.find("```text\n")? + "```text\n".len();
    let end = section[start..].find("```")?;
    Some(&section[start..start + end])
}

/// Each benchmark's median in divan's tables, by a name that includes its table and group
/// (`get_token/cached_fixed_token/t=1`), in order.
fn medians(tables: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    // The character columns where the fastest and the median figures start, from the header.
    let mut columns = None;
    let (mut table, mut group) = (String::new(), String::new());
    for line in tables.lines() {
        if line.starts_with("Timer precision") {
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let column_of = |word: &str| {
            let byte = line.find(word)?;
            Some(line[..byte].chars().count())
        };
        if let (Some(fastest), Some(median)) = (column_of("fastest"), column_of("median")) {
            columns = Some((fastest, median));
            table = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            continue;
        }
        let Some((fastest, median)) = columns else {
            continue;
        };
        let label: String = chars.iter().take(fastest).collect();
        let name = label
            .trim_matches(|c: char| c.is_whitespace() || "│├╰─".contains(c))
            .to_owned();
        if name.is_empty() {
            continue; // a throughput line
        }
        let value: String = chars
            .iter()
            .skip(median)
            .take_while(|&&c| c != '│')
            .collect();
        let value = value.trim();
        if value.is_empty() {
            group = name; // a group of benchmarks, with figures on the lines under it
        } else if label.starts_with(['│', ' ']) {
            rows.push((format!("{table}/{group}/{name}"), value.to_owned()));
        } else {
            rows.push((format!("{table}/{name}"), value.to_owned()));
        }
    }
    rows
}

/// A divan duration (`547.2 ns`, `1.028 µs`) in nanoseconds.
fn nanoseconds(text: &str) -> Option<f64> {
    let (number, unit) = text.split_once(' ')?;
    let scale = match unit {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(number.parse::<f64>().ok()? * scale)
}

/// One line per benchmark of `now`: its previous median, its new one and the change.
fn compare_medians(before: &str, now: &str) -> String {
    let mut previous: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, median) in medians(before) {
        previous.entry(name).or_default().push(median);
    }
    let mut out = String::new();
    let rows = medians(now);
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, median) in rows {
        let old = previous
            .get_mut(&name)
            .filter(|olds| !olds.is_empty())
            .map(|olds| olds.remove(0));
        let change = old
            .as_deref()
            .and_then(nanoseconds)
            .zip(nanoseconds(&median))
            .map(|(old, new)| format!("{:+.1}%", (new - old) / old * 100.0))
            .unwrap_or_default();
        let old = old.unwrap_or_else(|| "(new)".to_owned());
        let _ = writeln!(out, "  {name:<width$}  {old:>10} -> {median:<10} {change}");
    }
    out
}

/// Whether a heading is one `cargo xtask bench` writes: its fixed ones and a crate's figures
/// (`### `acs-token``, the crate name alone).
fn is_generated_heading(heading: &str) -> bool {
    const FIXED: &[&str] = &[
        "# Benchmarks",
        "## Machine",
        "## Targets",
        "## Figures",
        "### Measured by tests",
    ];
    FIXED.contains(&heading)
        || heading
            .strip_prefix("### `")
            .and_then(|rest| rest.strip_suffix('`'))
            .is_some_and(|name| !name.is_empty() && !name.contains(['`', ' ']))
}

/// The heading level of a Markdown heading line (`## x` is 2), `None` for other lines.
fn heading_level(line: &str) -> Option<usize> {
    let level = line.chars().take_while(|&c| c == '#').count();
    (level > 0 && line[level..].starts_with(' ')).then_some(level)
}

/// A Markdown document cut at its headings (those outside code blocks): each piece starts with
/// its heading line (the first may have none) and runs to the next heading.
pub(crate) fn sections(doc: &str) -> Vec<&str> {
    let mut starts = vec![0];
    let mut in_code = false;
    let mut offset = 0;
    for line in doc.split_inclusive('\n') {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && offset > 0 && heading_level(line).is_some() {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(doc.len());
    starts
        .windows(2)
        .map(|pair| &doc[pair[0]..pair[1]])
        .filter(|section| !section.is_empty())
        .collect()
}

/// The sections of a benchmarks file that `cargo xtask bench` does not write, in their order,
/// each ending in one blank line. A kept `##` section keeps the sections under it, whatever
/// their headings.
fn hand_written_sections(doc: &str) -> String {
    let mut kept = String::new();
    let mut keeping_under = None;
    for section in sections(doc) {
        let heading = section.lines().next().unwrap_or_default().trim_end();
        let Some(level) = heading_level(heading) else {
            continue; // text before the first heading
        };
        if keeping_under.is_some_and(|kept_level| level > kept_level) {
            // Under a kept section.
        } else if is_generated_heading(heading) {
            keeping_under = None;
            continue;
        } else {
            keeping_under = (level <= 2).then_some(level);
        }
        kept.push_str(section.trim_end());
        kept.push_str("\n\n");
    }
    kept.truncate(kept.trim_end().len());
    if !kept.is_empty() {
        kept.push('\n');
    }
    kept
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

    const BEFORE: &str = "\
get_token           fastest       │ slowest       │ median        │ mean          │ samples │ iters
├─ cached                         │               │               │               │         │
│  ├─ t=1           22.39 ns      │ 43 ns         │ 23.49 ns      │ 23.52 ns      │ 200     │ 400000
│  ╰─ t=2           22.46 ns      │ 42.5 ns       │ 22.55 ns      │ 23.44 ns      │ 200     │ 400000
├─ gone             1 ns          │ 1 ns          │ 1 ns          │ 1 ns          │ 1       │ 1
╰─ ten_thousand     14.98 ms      │ 18.31 ms      │ 16.72 ms      │ 16.6 ms       │ 20      │ 20
                    92.89 Mitem/s │ 12.03 Mitem/s │ 90.32 Mitem/s │ 80.31 Mitem/s │         │
";

    #[test]
    fn reads_medians_with_groups_and_throughput_lines() {
        let rows = medians(BEFORE);
        assert_eq!(
            rows,
            [
                ("get_token/cached/t=1".to_owned(), "23.49 ns".to_owned()),
                ("get_token/cached/t=2".to_owned(), "22.55 ns".to_owned()),
                ("get_token/gone".to_owned(), "1 ns".to_owned()),
                ("get_token/ten_thousand".to_owned(), "16.72 ms".to_owned()),
            ]
        );
    }

    #[test]
    fn compares_new_medians_with_the_previous_ones() {
        let now = BEFORE
            .replace("23.49 ns", "25.00 ns")
            .replace("├─ gone   ", "├─ added  ")
            .replace("16.72 ms", "8.36 ms ");
        let comparison = compare_medians(BEFORE, &now);
        let lines: Vec<&str> = comparison.lines().map(str::trim_end).collect();
        assert_eq!(lines.len(), 4, "{comparison}");
        assert!(
            lines[0].contains("get_token/cached/t=1") && lines[0].contains("23.49 ns -> 25.00 ns")
        );
        assert!(lines[0].ends_with("+6.4%"), "{comparison}");
        assert!(lines[1].ends_with("+0.0%"), "{comparison}");
        assert!(lines[2].contains("get_token/added") && lines[2].contains("(new) -> 1 ns"));
        assert!(lines[3].ends_with("-50.0%"), "{comparison}");
    }

    #[test]
    fn finds_a_crate_s_previous_figures_and_the_date() {
        let doc = "# Benchmarks\n\nWritten by `cargo xtask bench` on 2026-11-25 22:39 UTC.\n\n### `acs-auth`\n\n```text\nA\n```\n\n### `acs-token`\n\n```text\nparse fastest\n```\n";
        assert_eq!(written_on(doc), Some("2026-11-25 22:39 UTC"));
        assert_eq!(figures_of(doc, "acs-token"), Some("parse fastest\n"));
        assert_eq!(figures_of(doc, "acs-auth"), Some("A\n"));
        assert_eq!(figures_of(doc, "acs-http"), None);
        assert_eq!(nanoseconds("1.028 µs"), Some(1028.0));
        assert_eq!(nanoseconds("90 Mitem/s"), None);
    }

    const WRITTEN: &str = "\
# Benchmarks

Written by `cargo xtask bench` on 2026-11-25 22:39 UTC.

## Machine

- cores: 2

## Targets

| crate | target |

## Figures

### `acs-auth`

```text
sign  fastest │ median
## not a heading: inside a code block
```

### `acs-emulator` under load (measured by its ignored `load_and_soak` test)

Run by hand.

```text
### not a heading either
```

### Measured by tests

```text
acs-refresh: proactive credential: 1960 B heap
```

## Chat: acs-chat vs the official SDKs

Written by `cargo xtask chat-bench`.

### Run 2

| client |

### `acs-chat` note under it
";

    #[test]
    fn sections_are_cut_at_headings_outside_code_blocks() {
        let headings: Vec<&str> = sections(WRITTEN)
            .iter()
            .map(|section| section.lines().next().unwrap_or_default())
            .collect();
        assert_eq!(
            headings,
            [
                "# Benchmarks",
                "## Machine",
                "## Targets",
                "## Figures",
                "### `acs-auth`",
                "### `acs-emulator` under load (measured by its ignored `load_and_soak` test)",
                "### Measured by tests",
                "## Chat: acs-chat vs the official SDKs",
                "### Run 2",
                "### `acs-chat` note under it",
            ]
        );
        assert_eq!(sections(WRITTEN).concat(), WRITTEN, "nothing is lost");
    }

    #[test]
    fn hand_written_sections_are_kept_and_generated_ones_dropped() {
        let kept = hand_written_sections(WRITTEN);
        assert_eq!(
            kept,
            "\
### `acs-emulator` under load (measured by its ignored `load_and_soak` test)

Run by hand.

```text
### not a heading either
```

## Chat: acs-chat vs the official SDKs

Written by `cargo xtask chat-bench`.

### Run 2

| client |

### `acs-chat` note under it
"
        );
        assert!(is_generated_heading("### `acs-token`"));
        assert!(!is_generated_heading("### `acs-token` history"));
        assert!(!is_generated_heading("### ``"));
        assert_eq!(
            hand_written_sections("# Benchmarks\n\n## Machine\n\n- x\n"),
            ""
        );
        assert_eq!(hand_written_sections(""), "");
    }

    #[test]
    fn a_rewritten_file_keeps_the_hand_written_sections_once() {
        // What `run` writes: its own sections, then the kept ones; run again, nothing doubles.
        let generated = "# Benchmarks\n\n## Figures\n\n### `acs-auth`\n\n```text\nnew\n```\n";
        let first = format!("{generated}\n{}", hand_written_sections(WRITTEN));
        let second = format!("{generated}\n{}", hand_written_sections(&first));
        assert_eq!(first, second);
        assert_eq!(second.matches("Run by hand.").count(), 1);
        assert_eq!(second.matches("## Chat: acs-chat").count(), 1);
        assert!(!second.contains("sign  fastest"));
    }
}
