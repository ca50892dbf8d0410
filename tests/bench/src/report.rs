//! The results: one row per metric (baseline, system, ratio system/baseline), printed as a
//! table for people or as JSON for machines.

use serde::Serialize;

/// What a row's numbers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Milliseconds; lower is better.
    Ms,
    /// Events per second; higher is better.
    PerSec,
}

impl Unit {
    fn label(self) -> &'static str {
        match self {
            Unit::Ms => "ms",
            Unit::PerSec => "ev/s",
        }
    }
}

/// One measured metric.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: &'static str,
    pub metric: String,
    pub unit: Unit,
    pub baseline: f64,
    pub system: f64,
    /// `system / baseline`.
    pub ratio: f64,
    /// Samples behind each side (events, turns or rounds, as the metric says).
    pub samples: usize,
}

impl Row {
    pub fn new(
        scenario: &'static str,
        metric: impl Into<String>,
        unit: Unit,
        baseline: f64,
        system: f64,
        samples: usize,
    ) -> Self {
        let ratio = if baseline > 0.0 {
            system / baseline
        } else {
            f64::NAN
        };
        Self {
            scenario,
            metric: metric.into(),
            unit,
            baseline,
            system,
            ratio,
            samples,
        }
    }
}

/// Where and when the run happened.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub date: String,
    /// One-minute load average when the run started and when it ended: other work on the
    /// machine shows here (the ratios are robust to it, the absolute numbers are not).
    pub load_start: f64,
    pub load_end: f64,
}

impl Machine {
    /// The machine now; `load_start` is the load average taken when the run began.
    pub fn detect(load_start: f64) -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            load_start,
            load_end: load_avg(),
        }
    }
}

/// The one-minute load average (0 where `/proc/loadavg` is missing).
pub fn load_avg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Everything one run produced.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub rows: Vec<Row>,
    /// Observations worth a look (for example a rate that degrades within a run).
    pub notes: Vec<String>,
}

impl Report {
    /// A Markdown table (readable as plain text too).
    pub fn table(&self) -> String {
        let header = [
            "scenario",
            "metric",
            "baseline",
            "system",
            "system/baseline",
            "n",
        ];
        let mut lines: Vec<[String; 6]> = vec![header.map(str::to_owned)];
        for r in &self.rows {
            lines.push([
                r.scenario.to_owned(),
                r.metric.clone(),
                format_value(r.baseline, r.unit),
                format_value(r.system, r.unit),
                format!("{:.2}x", r.ratio),
                r.samples.to_string(),
            ]);
        }
        let mut widths = [0usize; 6];
        for l in &lines {
            for (w, cell) in widths.iter_mut().zip(l) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for (i, l) in lines.iter().enumerate() {
            out.push_str(&render_line(l, &widths));
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                out.push_str(&format!("| {} |\n", rule.join(" | ")));
            }
        }
        out
    }

    /// The header, table and notes for a terminal.
    pub fn text(&self) -> String {
        let m = &self.machine;
        let mut out = format!(
            "cm-bench — {} cores, {} — {} — load average {:.2} → {:.2}\n\n{}",
            m.cores,
            m.cpu,
            m.date,
            m.load_start,
            m.load_end,
            self.table()
        );
        for n in &self.notes {
            out.push_str(&format!("\nnote: {n}"));
        }
        out.push('\n');
        out
    }
}

fn render_line(cells: &[String; 6], widths: &[usize; 6]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (c, w))| {
            // Text columns left-aligned, numbers right-aligned.
            if i < 2 {
                format!("{c:<w$}")
            } else {
                format!("{c:>w$}")
            }
        })
        .collect();
    format!("| {} |\n", padded.join(" | "))
}

fn format_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Ms if v < 10.0 => format!("{v:.3} {}", unit.label()),
        Unit::Ms => format!("{v:.1} {}", unit.label()),
        Unit::PerSec => format!("{v:.0} {}", unit.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_header_a_rule_and_one_line_per_row() {
        let report = Report {
            machine: Machine::detect(0.0),
            rows: vec![Row::new("publish", "latency", Unit::Ms, 0.5, 0.6, 10)],
            notes: vec![],
        };
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].contains("1.20x"), "{table}");
        assert!(lines[2].contains("0.500 ms"), "{table}");
    }
}
