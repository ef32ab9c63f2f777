//! Time periods such as `5m`, `1h`, `30s`, `7d` (spec §2.5.3).
//!
//! Units (case-insensitive [U]): `millisecond ms msec`, `second s sec`,
//! `minute m min`, `hour h hr`, `day d`, `week w`, `month mo mon`,
//! `quarter q qtr`, `year y yr`. Every unit spelling longer than one
//! character may take a plural `s` (`hrs`, `mins`, `days`), as the AWS
//! `stats` page documents. The amount must be a non-negative integer.

use std::fmt;

/// A duration unit. Month, quarter and year are calendar units with no
/// fixed length in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    /// `ms`, `msec`, `millisecond`
    Millisecond,
    /// `s`, `sec`, `second`
    Second,
    /// `m`, `min`, `minute`
    Minute,
    /// `h`, `hr`, `hour`
    Hour,
    /// `d`, `day`
    Day,
    /// `w`, `week`
    Week,
    /// `mo`, `mon`, `month` (calendar)
    Month,
    /// `q`, `qtr`, `quarter` (calendar)
    Quarter,
    /// `y`, `yr`, `year` (calendar)
    Year,
}

impl DurationUnit {
    /// Parses a unit spelling (case-insensitive, plural `s` allowed on
    /// multi-character spellings).
    pub fn parse(text: &str) -> Option<DurationUnit> {
        let lower = text.to_ascii_lowercase();
        let base = match Self::exact(&lower) {
            Some(u) => return Some(u),
            None => lower.strip_suffix('s')?,
        };
        if base.len() < 2 {
            return None;
        }
        Self::exact(base)
    }

    fn exact(s: &str) -> Option<DurationUnit> {
        use DurationUnit::*;
        Some(match s {
            "millisecond" | "ms" | "msec" => Millisecond,
            "second" | "s" | "sec" => Second,
            "minute" | "m" | "min" => Minute,
            "hour" | "h" | "hr" => Hour,
            "day" | "d" => Day,
            "week" | "w" => Week,
            "month" | "mo" | "mon" => Month,
            "quarter" | "q" | "qtr" => Quarter,
            "year" | "y" | "yr" => Year,
            _ => return None,
        })
    }

    /// Length of one unit in milliseconds, `None` for calendar units.
    pub fn fixed_millis(self) -> Option<u64> {
        use DurationUnit::*;
        Some(match self {
            Millisecond => 1,
            Second => 1_000,
            Minute => 60_000,
            Hour => 3_600_000,
            Day => 86_400_000,
            Week => 7 * 86_400_000,
            Month | Quarter | Year => return None,
        })
    }

    /// Length of one unit in calendar months, `None` for fixed units.
    pub fn months(self) -> Option<u64> {
        match self {
            DurationUnit::Month => Some(1),
            DurationUnit::Quarter => Some(3),
            DurationUnit::Year => Some(12),
            _ => None,
        }
    }

    /// Canonical short spelling used by the pretty-printer.
    pub fn short(self) -> &'static str {
        use DurationUnit::*;
        match self {
            Millisecond => "ms",
            Second => "s",
            Minute => "m",
            Hour => "h",
            Day => "d",
            Week => "w",
            Month => "mo",
            Quarter => "q",
            Year => "y",
        }
    }

    /// The `bin()` cap observed on AWS: the amount is clamped to the unit's
    /// natural range (ms ≤ 1000, s ≤ 60, m ≤ 60, h ≤ 24). Other units are
    /// not capped [U].
    fn bin_cap(self) -> Option<u64> {
        match self {
            DurationUnit::Millisecond => Some(1000),
            DurationUnit::Second | DurationUnit::Minute => Some(60),
            DurationUnit::Hour => Some(24),
            _ => None,
        }
    }
}

/// A resolved period: either a fixed number of milliseconds or a number of
/// calendar months (month = 1, quarter = 3, year = 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Fixed length in milliseconds.
    Millis(u64),
    /// Calendar months; align on calendar boundaries.
    Months(u64),
}

/// A duration literal as written, e.g. `5m` → `{ amount: 5, unit: Minute }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    /// The integer amount as written (not capped).
    pub amount: u64,
    /// The unit.
    pub unit: DurationUnit,
}

impl Duration {
    /// Length in milliseconds for fixed units; `None` for calendar units
    /// (month/quarter/year) or on overflow.
    pub fn millis(&self) -> Option<u64> {
        self.unit.fixed_millis()?.checked_mul(self.amount)
    }

    /// The duration as a [`Period`] (no `bin` cap applied); `None` on overflow.
    pub fn period(&self) -> Option<Period> {
        match self.unit.months() {
            Some(m) => m.checked_mul(self.amount).map(Period::Months),
            None => self.millis().map(Period::Millis),
        }
    }

    /// The amount after AWS's `bin()` quirk: `bin(300s)` behaves like
    /// `bin(60s)` because the amount is capped at the unit's natural range
    /// (ms ≤ 1000, s ≤ 60, m ≤ 60, h ≤ 24) — spec §2.5.3 [O].
    pub fn bin_amount(&self) -> u64 {
        match self.unit.bin_cap() {
            Some(cap) => self.amount.min(cap),
            None => self.amount,
        }
    }

    /// Bucket width in milliseconds for `bin()` with the cap applied;
    /// `None` for calendar units (use [`Duration::bin_period`]).
    pub fn bin_millis(&self) -> Option<u64> {
        self.unit.fixed_millis()?.checked_mul(self.bin_amount())
    }

    /// Bucket period for `bin()` with the cap applied.
    pub fn bin_period(&self) -> Option<Period> {
        Duration { amount: self.bin_amount(), unit: self.unit }.period()
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(DurationUnit::parse("hrs"), Some(DurationUnit::Hour));
        assert_eq!(DurationUnit::parse("MINS"), Some(DurationUnit::Minute));
        assert_eq!(DurationUnit::parse("days"), Some(DurationUnit::Day));
        assert_eq!(DurationUnit::parse("ss"), None);
        assert_eq!(DurationUnit::parse("x"), None);
        assert_eq!(DurationUnit::parse("qtrs"), Some(DurationUnit::Quarter));
    }

    #[test]
    fn bin_cap() {
        let d = Duration { amount: 300, unit: DurationUnit::Second };
        assert_eq!(d.millis(), Some(300_000));
        assert_eq!(d.bin_millis(), Some(60_000));
        let d = Duration { amount: 2, unit: DurationUnit::Quarter };
        assert_eq!(d.millis(), None);
        assert_eq!(d.period(), Some(Period::Months(6)));
        let d = Duration { amount: 48, unit: DurationUnit::Hour };
        assert_eq!(d.bin_millis(), Some(24 * 3_600_000));
    }
}
