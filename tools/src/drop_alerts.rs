//! Falco's "Falco internal: syscall event drop" alerts in `eval`'s alert
//! stream, from the trace's drop markers, as Falco's `syscall_event_drops`
//! does (falco `userspace/falco/event_drops.cpp`, falco-facts.md §f):
//!
//! - once per second of event time (the first check one second after the
//!   first event; a check runs on the first event past the deadline), the
//!   deltas of the counters since the last check are taken;
//! - if drops > 0 and drops / events > `threshold` (default 0.1), and a
//!   token bucket (rate 1/30 per second, burst 1, full at start) allows,
//!   one Debug alert with the deltas as string-valued output fields.
//!
//! Offline, "events" are the records the engine saw plus the events the
//! drop markers say were lost; drops are the markers' lost counts, by
//! Falco category.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{json, Map, Value};
use sysreplay_format::record::{Kind, DROP_CATEGORIES, DROP_CATEGORY_NAMES};
use sysreplay_format::Event;
use sysreplay_ruleeval::Observer;

const ONE_SECOND: u64 = 1_000_000_000;
pub const RULE: &str = "Falco internal: syscall event drop";

/// Falco's `syscall_event_drops` settings that matter offline.
#[derive(Clone, Copy, Debug)]
pub struct DropSettings {
    pub threshold: f64,
    /// Tokens per second of the rate limiter (Falco: 0.03333).
    pub rate: f64,
    pub max_burst: f64,
    /// `alert` among the actions.
    pub alert: bool,
}

impl Default for DropSettings {
    fn default() -> Self {
        DropSettings {
            threshold: 0.1,
            rate: 0.03333,
            max_burst: 1.0,
            alert: true,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Counters {
    n_evts: u64,
    n_drops: u64,
    cat: [u64; DROP_CATEGORIES],
}

/// A drop alert ready to print.
pub struct DropAlert {
    pub wall_ns: i64,
    pub n_drops: u64,
    pub fields: Map<String, Value>,
}

/// The drop manager, fed every event through the engine's observer seam.
pub struct DropWatch {
    s: DropSettings,
    boot_to_wall: i64,
    next_check: u64,
    now: Counters,
    last: Counters,
    tokens: f64,
    last_claim: Option<u64>,
    /// Occurrences over the threshold, and alerts let through.
    pub detected: u64,
    pub actions: u64,
    pub pending: Rc<RefCell<Vec<DropAlert>>>,
    /// `eval --from/--to`: alerts only from checks inside (trace clock).
    pub window: Option<(u64, u64)>,
}

impl DropWatch {
    pub fn new(s: DropSettings, boot_to_wall: i64) -> Self {
        DropWatch {
            s,
            boot_to_wall,
            next_check: 0,
            now: Counters::default(),
            last: Counters::default(),
            tokens: s.max_burst,
            last_claim: None,
            detected: 0,
            actions: 0,
            pending: Rc::default(),
            window: None,
        }
    }

    fn claim(&mut self, ts: u64) -> bool {
        if let Some(t) = self.last_claim {
            let dt = ts.saturating_sub(t) as f64 / 1e9;
            self.tokens = (self.tokens + self.s.rate * dt).min(self.s.max_burst);
        }
        self.last_claim = Some(ts);
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }

    #[inline(never)]
    fn check(&mut self, ts: u64) {
        let (n, l) = (self.now, self.last);
        self.last = n;
        let drops = n.n_drops - l.n_drops;
        if drops == 0 {
            return;
        }
        let evts = n.n_evts - l.n_evts;
        if (drops as f64 / evts.max(1) as f64) <= self.s.threshold {
            return;
        }
        self.detected += 1;
        if !self.claim(ts) {
            return;
        }
        self.actions += 1;
        let inside = self.window.is_none_or(|(f, t)| ts >= f && ts < t);
        if !self.s.alert || !inside {
            return;
        }
        let d = |name: &str| -> u64 {
            DROP_CATEGORY_NAMES
                .iter()
                .position(|c| *c == name)
                .map_or(0, |i| n.cat[i] - l.cat[i])
        };
        let mut f = Map::new();
        let mut put = |k: &str, v: u64| {
            f.insert(k.to_string(), json!(v.to_string()));
        };
        put("n_evts", evts);
        put("n_drops", drops);
        put("n_drops_buffer_total", drops);
        for c in [
            "clone_fork_exit",
            "execve_exit",
            "connect_exit",
            "open_exit",
            "dir_file_exit",
            "other_interest_exit",
            "close_exit",
            "proc_exit",
        ] {
            put(&format!("n_drops_buffer_{c}"), d(c));
        }
        put("n_drops_scratch_map", 0);
        put("n_drops_page_faults", 0);
        put("n_drops_bug", 0);
        // the recorder is an eBPF probe
        put("ebpf_enabled", 1);
        self.pending.borrow_mut().push(DropAlert {
            wall_ns: (ts as i64).wrapping_add(self.boot_to_wall),
            n_drops: drops,
            fields: f,
        });
    }
}

impl Observer for DropWatch {
    /// Inlined: most events only count (the check and drop markers are
    /// out of line).
    #[inline(always)]
    fn event_begin(&mut self, ev: &Event) {
        if self.next_check == 0 || self.next_check < ev.ts_ns || ev.kind == Kind::Drop as u16 {
            self.event_begin_slow(ev);
        } else {
            self.now.n_evts += 1;
        }
    }
}

impl DropWatch {
    #[inline(never)]
    fn event_begin_slow(&mut self, ev: &Event) {
        // Falco's drop manager runs on each event before the rules.
        if self.next_check == 0 {
            self.next_check = ev.ts_ns + ONE_SECOND;
        }
        if self.next_check < ev.ts_ns {
            self.next_check = ev.ts_ns + ONE_SECOND;
            self.check(ev.ts_ns);
        }
        if ev.kind() == Some(Kind::Drop) {
            let lost = ev.args[1];
            self.now.n_drops += lost;
            self.now.n_evts += lost;
            if let Some(dc) = ev.drop_counts() {
                for (c, n) in self.now.cat.iter_mut().zip(dc.n) {
                    *c += n;
                }
            }
        } else {
            self.now.n_evts += 1;
        }
    }
}

impl DropAlert {
    /// Falco's `handle_msg` shapes: text `TIME: Debug MSG (k="v" ...)`
    /// with keys in order; JSON with source `internal`.
    pub fn line(&self, json: bool, hostname: &str) -> String {
        let msg = format!(
            "{RULE}. {} system calls dropped in last second.",
            self.n_drops
        );
        if json {
            return json!({
                "hostname": hostname,
                "output": msg,
                "output_fields": self.fields,
                "priority": "Debug",
                "rule": RULE,
                "source": "internal",
                "time": sysreplay_format::timefmt::iso8601_ns(self.wall_ns),
            })
            .to_string();
        }
        let mut keys: Vec<&String> = self.fields.keys().collect();
        keys.sort();
        let kv: Vec<String> = keys
            .iter()
            .map(|k| format!("{k}={}", self.fields[k.as_str()]))
            .collect();
        format!(
            "{}: Debug {msg} ({})",
            sysreplay_format::timefmt::clock_ns(self.wall_ns),
            kv.join(" ")
        )
    }
}
