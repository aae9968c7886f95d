//! Replay: drives a trace through ruleeval at controlled rates. (Filled by the replay issue.)
