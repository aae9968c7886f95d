//! Falco-compatible rule engine. (Filled by the rule engine issue.)
