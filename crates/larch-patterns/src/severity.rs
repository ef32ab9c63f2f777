//! Severity (log level) detection from a line's leading tokens.

use crate::mask::Masked;

/// Log severity of a pattern's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
    Unknown,
}

impl Severity {
    pub(crate) const ALL: [Severity; 6] =
        [Severity::Error, Severity::Warn, Severity::Info, Severity::Debug, Severity::Trace, Severity::Unknown];

    /// The label reported as `@severityLabel`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warn => "WARN",
            Severity::Info => "INFO",
            Severity::Debug => "DEBUG",
            Severity::Trace => "TRACE",
            Severity::Unknown => "UNKNOWN",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Maps a level word (any case, no decoration) to a severity.
    pub fn from_word(w: &str) -> Option<Severity> {
        if w.len() > 11 {
            return None;
        }
        let mut buf = [0u8; 11];
        for (d, s) in buf.iter_mut().zip(w.bytes()) {
            *d = s.to_ascii_uppercase();
        }
        Some(match &buf[..w.len()] {
            b"ERROR" | b"ERR" | b"FATAL" | b"CRITICAL" | b"CRIT" | b"SEVERE" | b"EMERG" | b"EMERGENCY" | b"ALERT"
            | b"PANIC" => Severity::Error,
            b"WARN" | b"WARNING" => Severity::Warn,
            b"INFO" | b"NOTICE" | b"INFORMATION" => Severity::Info,
            b"DEBUG" | b"DBG" => Severity::Debug,
            b"TRACE" | b"VERBOSE" => Severity::Trace,
            _ => return None,
        })
    }
}

fn single_letter(c: u8) -> Option<Severity> {
    Some(match c {
        b'E' | b'F' => Severity::Error,
        b'W' => Severity::Warn,
        b'I' => Severity::Info,
        b'D' => Severity::Debug,
        b'V' => Severity::Trace,
        _ => return None,
    })
}

const LEVEL_KEYS: [&str; 5] = ["level", "severity", "lvl", "loglevel", "log_level"];

/// Detects the severity of a masked line from its raw text.
pub(crate) fn detect(raw: &str, m: &Masked) -> Severity {
    let toks = &m.toks;
    // key/value forms anywhere in the first 24 tokens: `level=info`,
    // `"level":"info"`.
    for (i, t) in toks.iter().take(24).enumerate() {
        let tok = &raw[t.r.clone()];
        let trimmed = tok.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
        if let Some((k, v)) = trimmed.split_once('=') {
            if LEVEL_KEYS.iter().any(|lk| k.eq_ignore_ascii_case(lk)) {
                let v = v.trim_matches(|c: char| !c.is_ascii_alphanumeric());
                if let Some(s) = Severity::from_word(v) {
                    return s;
                }
            }
        } else if tok.ends_with(':')
            && LEVEL_KEYS.iter().any(|lk| trimmed.eq_ignore_ascii_case(lk))
            && let Some(next) = toks.get(i + 1)
        {
            let v = raw[next.r.clone()].trim_matches(|c: char| !c.is_ascii_alphanumeric());
            if let Some(s) = Severity::from_word(v) {
                return s;
            }
        }
    }
    // a level word among the first tokens
    for (i, t) in toks.iter().take(8).enumerate() {
        let tok = &raw[t.r.clone()];
        let core = tok.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        if core.is_empty() {
            continue;
        }
        if core.len() == 1 {
            // Android-style `pid tid D Tag:`
            if tok.len() == 1
                && i > 0
                && raw[toks[i - 1].r.clone()].bytes().all(|c| c.is_ascii_digit())
                && let Some(s) = single_letter(core.as_bytes()[0])
            {
                return s;
            }
            continue;
        }
        let Some(s) = Severity::from_word(core) else {
            continue;
        };
        let decorated = core.len() != tok.len();
        let first = core.as_bytes()[0];
        let upper = core.bytes().all(|c| c.is_ascii_uppercase());
        // bare lower-case words ("error") are message text, not levels
        if upper || decorated || first.is_ascii_uppercase() {
            return s;
        }
    }
    Severity::Unknown
}
