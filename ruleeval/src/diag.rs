//! Diagnostics: errors and warnings with file, line, column and item name.

use std::fmt;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A position in a rules file. Lines and columns are 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

/// One error or warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    pub severity: Severity,
    /// Falco-style code, e.g. `LOAD_ERR_COMPILE_CONDITION`, `LOAD_UNUSED_MACRO`.
    pub code: &'static str,
    pub loc: Option<Loc>,
    /// The item, e.g. `rule 'Read sensitive file untrusted'`.
    pub item: Option<String>,
    pub msg: String,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.loc {
            write!(f, "{l}: ")?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev} ({})", self.code)?;
        if let Some(i) = &self.item {
            write!(f, ": {i}")?;
        }
        write!(f, ": {}", self.msg)
    }
}

/// Collected diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Diags {
    pub list: Vec<Diag>,
}

impl Diags {
    pub fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        loc: Option<Loc>,
        item: Option<String>,
        msg: impl Into<String>,
    ) {
        self.list.push(Diag {
            severity,
            code,
            loc,
            item,
            msg: msg.into(),
        });
    }
    pub fn error(
        &mut self,
        code: &'static str,
        loc: Option<Loc>,
        item: Option<String>,
        msg: impl Into<String>,
    ) {
        self.push(Severity::Error, code, loc, item, msg)
    }
    pub fn warn(
        &mut self,
        code: &'static str,
        loc: Option<Loc>,
        item: Option<String>,
        msg: impl Into<String>,
    ) {
        self.push(Severity::Warning, code, loc, item, msg)
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diag> {
        self.list.iter().filter(|d| d.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Diag> {
        self.list.iter().filter(|d| d.severity == Severity::Warning)
    }
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}
