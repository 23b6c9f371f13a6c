//! The small closed vocabularies: severity, status, phase, priority.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let lower = text.trim().to_ascii_lowercase();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == lower)
                    .ok_or_else(|| {
                        let known: Vec<_> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        format!("{text:?} is not a {}: use one of {}", $what, known.join(", "))
                    })
            }
        }
    };
}

vocabulary!(
    /// How bad it is: sev1 is the worst.
    Severity, "severity" { Sev1 = "sev1", Sev2 = "sev2", Sev3 = "sev3", Sev4 = "sev4" }
);

vocabulary!(
    /// Where the response stands. Incidents open as `investigating`.
    Status, "status" {
        Investigating = "investigating",
        Identified = "identified",
        Mitigated = "mitigated",
        Monitoring = "monitoring",
        Resolved = "resolved",
    }
);

vocabulary!(
    /// The four phases of the OODA loop.
    Phase, "phase" { Observe = "observe", Orient = "orient", Decide = "decide", Act = "act" }
);

vocabulary!(
    /// Follow-up priority: P0 is the most urgent.
    Priority, "priority" { P0 = "p0", P1 = "p1", P2 = "p2", P3 = "p3" }
);

impl Status {
    /// Whether service has been restored by the time the incident reaches this status.
    pub fn is_mitigated(self) -> bool {
        matches!(self, Status::Mitigated | Status::Monitoring | Status::Resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_parses_case_insensitively_and_names_the_choices_on_error() {
        assert_eq!("SEV2".parse::<Severity>(), Ok(Severity::Sev2));
        assert_eq!("P1".parse::<Priority>(), Ok(Priority::P1));
        let err = "sev9".parse::<Severity>().unwrap_err();
        assert!(err.contains("sev1, sev2, sev3, sev4"), "{err}");
    }
}
