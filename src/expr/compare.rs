//! Comparisons written in runbooks and flags: `< 300ms`, `> 14d`, `>= 0.05`, `== 0`.

use std::fmt;
use std::time::Duration;

use crate::time::parse_duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    /// The operator that holds when this one does not.
    pub fn negated(self) -> Op {
        match self {
            Op::Lt => Op::Ge,
            Op::Le => Op::Gt,
            Op::Gt => Op::Le,
            Op::Ge => Op::Lt,
            Op::Eq => Op::Ne,
            Op::Ne => Op::Eq,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// What the right-hand side is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A duration; compared in milliseconds.
    Duration,
    /// A plain number.
    Number,
}

/// Why a comparison does not parse; each names the text as written and shows how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComparisonError {
    /// A duration without an operator: "latency 300ms" says nothing.
    NoOperator { text: String, example: &'static str },
    /// The value after the operator is not a duration.
    BadDuration { reason: String, example: &'static str },
    /// The value after the operator is not a number.
    NotANumber { text: String, example: &'static str },
    /// `inf`, `NaN`.
    NotFinite { text: String },
}

impl fmt::Display for ComparisonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComparisonError::NoOperator { text, example } => write!(f, "{text:?} needs a comparison, e.g. {example}"),
            ComparisonError::BadDuration { reason, example } => write!(f, "{reason}; write e.g. {example}"),
            ComparisonError::NotANumber { text, example } => write!(f, "{text:?} is not a comparison like {example}"),
            ComparisonError::NotFinite { text } => write!(f, "{text:?}: not a finite number"),
        }
    }
}

impl std::error::Error for ComparisonError {}

impl From<ComparisonError> for crate::error::Error {
    fn from(err: ComparisonError) -> Self {
        crate::error::Error::usage(err.to_string())
    }
}

/// `OP VALUE`, where VALUE is a duration or a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub op: Op,
    /// Milliseconds for durations.
    pub value: f64,
    pub unit: Unit,
    /// As written, for messages: `< 300ms`.
    pub text: String,
}

impl Comparison {
    /// Parses `< 300ms` (unit Duration) or `> 0.05` (unit Number). A bare value means `==`
    /// for numbers; a duration needs its operator, since "latency 300ms" says nothing.
    pub fn parse(text: &str, unit: Unit) -> Result<Comparison, ComparisonError> {
        let trimmed = text.trim();
        let (op, rest) = [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt)]
            .iter()
            .find_map(|(prefix, op)| trimmed.strip_prefix(prefix).map(|rest| (Some(*op), rest.trim())))
            .unwrap_or((None, trimmed));
        let example = match unit {
            Unit::Duration => "`< 300ms` or `> 14d`",
            Unit::Number => "`> 0.05` or `<= 10`",
        };
        let value = match unit {
            Unit::Duration => {
                if op.is_none() {
                    return Err(ComparisonError::NoOperator { text: text.to_string(), example });
                }
                parse_duration(rest)
                    .map_err(|e| ComparisonError::BadDuration { reason: e.to_string(), example })?
                    .as_secs_f64()
                    * 1000.0
            }
            Unit::Number => {
                rest.parse::<f64>().map_err(|_| ComparisonError::NotANumber { text: text.to_string(), example })?
            }
        };
        if !value.is_finite() {
            return Err(ComparisonError::NotFinite { text: text.to_string() });
        }
        let op = op.unwrap_or(Op::Eq);
        Ok(Comparison { op, value, unit, text: format!("{} {}", op.as_str(), rest) })
    }

    pub fn holds(&self, seen: f64) -> bool {
        match self.op {
            Op::Lt => seen < self.value,
            Op::Le => seen <= self.value,
            Op::Gt => seen > self.value,
            Op::Ge => seen >= self.value,
            Op::Eq => (seen - self.value).abs() < f64::EPSILON,
            Op::Ne => (seen - self.value).abs() >= f64::EPSILON,
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A size in bytes: `4096`, `512KiB`, `1MiB`, `2MB` (`kB`/`MB` are powers of 1000).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(split);
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "kB" | "KB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(format!("{text:?} is not a size: write e.g. 512KiB or 4MiB")),
    };
    let n: u64 = digits.parse().map_err(|_| format!("{text:?} is not a size: write e.g. 512KiB or 4MiB"))?;
    n.checked_mul(factor).ok_or_else(|| format!("{text:?} is too large"))
}

/// Bytes as a limit reads: `1 MiB`, `512 KiB`, `1000 bytes`.
pub fn show_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// A duration as a comparison shows it: `812ms`, `3.2s`, `13d 4h`.
pub fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        crate::time::format_duration(chrono::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX)))
    }
}

/// A number without a needless `.0`.
pub fn show_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{value:.0}") } else { format!("{value}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_parse_durations_and_numbers() {
        let c = Comparison::parse("< 300ms", Unit::Duration).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.holds(299.0) && !c.holds(300.0));
        let c = Comparison::parse(">14d", Unit::Duration).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.holds(15.0 * 86_400_000.0));
        assert_eq!(c.text, "> 14d");
        let c = Comparison::parse(">= 0.05", Unit::Number).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.holds(0.05) && !c.holds(0.01));
        assert!(Comparison::parse("300ms", Unit::Duration).is_err());
        assert!(Comparison::parse("< fast", Unit::Duration).is_err());
        assert!(Comparison::parse("> lots", Unit::Number).is_err());
    }
}
