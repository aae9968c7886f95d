//! Falco's rings and its one consumer thread, on a simulated clock.
//!
//! Producers: each CPU writes its events to its ring (kmod: one ring per
//! CPU; modern_ebpf: one per `cpus_for_each_buffer` CPUs). A write that
//! does not fit is dropped and counted. The consumer (libpman's `ringbuffer.c`, libscap's kmod engine) is
//! one thread that takes the oldest event across the rings and spends the
//! event's cost on it; since each ring is FIFO and events arrive in time
//! order, it consumes them in arrival order, so one queue holds them all.
//!
//! - modern_ebpf: an event's space is released when the consumer asks for
//!   the next one (when it finishes the event). With no readable event it
//!   sleeps 500 us, doubling up to 30 ms, reset after any event.
//! - kmod: the consumer snapshots every ring's `[tail, head)` block and
//!   works through the snapshots; a ring's block is released whole once it
//!   is exhausted, and new data is seen only after every block is. When
//!   every ring holds at most 20,000 bytes at a refill it sleeps 0, 1, 2,
//!   4 ... 30 ms (integer ms of a doubling microsecond wait).

use std::collections::VecDeque;

use crate::sizes::Driver;

const MODERN_RETRY_START_NS: u64 = 500_000;
const RETRY_MAX_NS: u64 = 30_000_000;
const KMOD_WAIT_START_US: u64 = 500;
const KMOD_EMPTY_THRESHOLD: u64 = 20_000;

#[derive(Clone, Copy, Debug)]
struct Queued {
    ring: u32,
    bytes: u32,
    arrival: u64,
    cost_ns: u64,
}

/// The rings and the consumer.
pub struct Rings {
    driver: Driver,
    capacity: u64,
    used: Vec<u64>,
    queue: VecDeque<Queued>,
    /// When the consumer next asks for an event (ns, simulated).
    pub clock: u64,
    inflight: Option<Queued>,
    retry_ns: u64,
    kmod_wait_us: u64,
    /// kmod: entries of the queue front that belong to the current block
    /// snapshots, bytes consumed per ring since the last release, and the
    /// snapshot entries left per ring.
    snap_left: usize,
    snap_left_per_ring: Vec<u64>,
    consumed_per_ring: Vec<u64>,
    /// Statistics.
    pub busy_ns: u64,
    pub consumed: u64,
    pub max_lag_ns: u64,
    pub max_used: Vec<u64>,
    started: bool,
}

impl Rings {
    pub fn new(driver: Driver, n_rings: usize, capacity: u64) -> Rings {
        Rings {
            driver,
            capacity,
            used: vec![0; n_rings],
            queue: VecDeque::new(),
            clock: 0,
            inflight: None,
            retry_ns: MODERN_RETRY_START_NS,
            kmod_wait_us: KMOD_WAIT_START_US,
            snap_left: 0,
            snap_left_per_ring: vec![0; n_rings],
            consumed_per_ring: vec![0; n_rings],
            busy_ns: 0,
            consumed: 0,
            max_lag_ns: 0,
            max_used: vec![0; n_rings],
            started: false,
        }
    }

    pub fn n_rings(&self) -> usize {
        self.used.len()
    }

    /// Whether `bytes` fit in `ring` now (kmod keeps one byte free).
    pub fn fits(&self, ring: usize, bytes: u32) -> bool {
        let cap = match self.driver {
            Driver::Kmod => self.capacity.saturating_sub(1),
            Driver::ModernEbpf => self.capacity,
        };
        self.used[ring] + bytes as u64 <= cap
    }

    /// Reserve space for an event that arrived at `arrival` (call
    /// [`Rings::advance`] to `arrival` first, and only when it fits).
    pub fn reserve(&mut self, ring: usize, bytes: u32) {
        self.used[ring] += bytes as u64;
        if self.used[ring] > self.max_used[ring] {
            self.max_used[ring] = self.used[ring];
        }
    }

    /// Queue what was reserved in `ring` for the consumer, which will spend
    /// `cost_ns` on it.
    pub fn push(&mut self, ring: usize, bytes: u32, arrival: u64, cost_ns: u64) {
        if !self.started {
            self.started = true;
            self.clock = arrival;
        }
        self.queue.push_back(Queued {
            ring: ring as u32,
            bytes,
            arrival,
            cost_ns,
        });
    }

    fn release(&mut self, q: Queued) {
        match self.driver {
            Driver::ModernEbpf => self.used[q.ring as usize] -= q.bytes as u64,
            Driver::Kmod => {
                let r = q.ring as usize;
                self.consumed_per_ring[r] += q.bytes as u64;
                self.snap_left_per_ring[r] -= 1;
                if self.snap_left_per_ring[r] == 0 {
                    // The ring's block is exhausted: its tail moves.
                    self.used[r] -= self.consumed_per_ring[r];
                    self.consumed_per_ring[r] = 0;
                }
            }
        }
    }

    fn start(&mut self, q: Queued) {
        let lag = self.clock.saturating_sub(q.arrival);
        self.max_lag_ns = self.max_lag_ns.max(lag);
        self.clock += q.cost_ns;
        self.busy_ns += q.cost_ns;
        self.consumed += 1;
        self.inflight = Some(q);
    }

    /// Run the consumer until its clock passes `t` (or it is busy past it).
    pub fn advance(&mut self, t: u64) {
        if !self.started {
            return;
        }
        loop {
            if self.inflight.is_some() && self.clock <= t {
                let q = self.inflight.take().unwrap();
                self.release(q);
            }
            if self.inflight.is_some() || self.clock > t {
                return;
            }
            match self.driver {
                Driver::ModernEbpf => match self.queue.front() {
                    Some(q) if q.arrival <= self.clock => {
                        let q = self.queue.pop_front().unwrap();
                        self.retry_ns = MODERN_RETRY_START_NS;
                        self.start(q);
                    }
                    _ => {
                        self.clock += self.retry_ns;
                        self.retry_ns = (self.retry_ns * 2).min(RETRY_MAX_NS);
                    }
                },
                Driver::Kmod => {
                    if self.snap_left > 0 {
                        let q = self.queue.pop_front().unwrap();
                        self.snap_left -= 1;
                        self.start(q);
                        continue;
                    }
                    // Refill: sleep first when every ring is nearly empty.
                    if self.used.iter().all(|&u| u <= KMOD_EMPTY_THRESHOLD) {
                        self.clock += self.kmod_wait_us / 1000 * 1_000_000;
                        self.kmod_wait_us = (self.kmod_wait_us * 2).min(RETRY_MAX_NS / 1000);
                    } else {
                        self.kmod_wait_us = KMOD_WAIT_START_US;
                    }
                    let n = self
                        .queue
                        .iter()
                        .take_while(|q| q.arrival <= self.clock)
                        .count();
                    if n == 0 {
                        if let Some(q) = self.queue.front() {
                            // Polling without sleep until the data arrives.
                            if self.used.iter().any(|&u| u > KMOD_EMPTY_THRESHOLD) {
                                self.clock = self.clock.max(q.arrival);
                            }
                        }
                        continue;
                    }
                    self.snap_left = n;
                    for q in self.queue.iter().take(n) {
                        self.snap_left_per_ring[q.ring as usize] += 1;
                    }
                }
            }
        }
    }

    /// `--speed max`: an event that arrives when the consumer is free and
    /// is processed at once (nothing queues, nothing can drop).
    pub fn consume_now(&mut self, cost_ns: u64) {
        self.started = true;
        self.clock += cost_ns;
        self.busy_ns += cost_ns;
        self.consumed += 1;
    }

    /// Consume everything left (the end of the trace).
    pub fn drain(&mut self) {
        while self.inflight.is_some() || !self.queue.is_empty() {
            let next = self.clock.max(self.queue.front().map_or(0, |q| q.arrival));
            self.advance(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1 MiB ring, 100-byte events every 1 us (40 ms), each costing 2 us:
    /// the consumer falls behind and the ring overflows; at 0.5 us per event
    /// nothing is lost (the ring absorbs the consumer's idle sleeps).
    fn run(driver: Driver, cost_ns: u64) -> (u64, u64) {
        let mut r = Rings::new(driver, 1, 1 << 20);
        let (mut kept, mut dropped) = (0, 0);
        for i in 0..40_000u64 {
            let t = 1_000_000 + i * 1000;
            r.advance(t);
            if r.fits(0, 100) {
                r.reserve(0, 100);
                r.push(0, 100, t, cost_ns);
                kept += 1;
            } else {
                dropped += 1;
            }
        }
        r.drain();
        assert_eq!(r.consumed, kept);
        assert!(r.used.iter().all(|&u| u == 0), "{:?}", r.used);
        (kept, dropped)
    }

    #[test]
    fn a_slow_consumer_overflows_a_ring_and_a_fast_one_does_not() {
        for d in [Driver::ModernEbpf, Driver::Kmod] {
            let (_, dropped) = run(d, 2000);
            assert!(dropped > 5_000, "{d:?}: {dropped}");
            let (kept, dropped) = run(d, 500);
            assert_eq!((kept, dropped), (40_000, 0), "{d:?}");
        }
    }

    /// Falco's modern consumer sleeps 500 us when it finds nothing: a ring
    /// smaller than what arrives meanwhile overflows even though the
    /// consumer is 2x faster than the producer.
    #[test]
    fn the_idle_sleep_overflows_a_tiny_ring() {
        let mut r = Rings::new(Driver::ModernEbpf, 1, 1000);
        let mut dropped = 0;
        for i in 0..1000u64 {
            let t = 1_000_000 + i * 1000;
            r.advance(t);
            if r.fits(0, 100) {
                r.reserve(0, 100);
                r.push(0, 100, t, 500);
            } else {
                dropped += 1;
            }
        }
        assert!(dropped > 500, "{dropped}");
    }

    #[test]
    fn modern_backoff_delays_a_burst_after_idle() {
        let mut r = Rings::new(Driver::ModernEbpf, 1, 1 << 20);
        r.push(0, 100, 0, 10);
        r.reserve(0, 100);
        // Idle for 100 ms: the consumer's sleeps grow to 30 ms.
        r.advance(100_000_000);
        r.reserve(0, 100);
        r.push(0, 100, 100_000_000, 10);
        r.drain();
        assert!(
            r.max_lag_ns > 0 && r.max_lag_ns <= RETRY_MAX_NS,
            "{}",
            r.max_lag_ns
        );
    }
}
