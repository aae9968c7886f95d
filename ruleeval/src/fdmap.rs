//! A process's fds by number: a vector indexed by fd for the small numbers
//! the kernel hands out (lowest free first), a hash map for the rest.
//!
//! Opens, closes and dups are most of the events of a busy host, and each
//! looks its fd up several times (the parser, the fd lookup, the fields);
//! indexing a vector is a bounds check where a hash map hashes and probes.

use crate::state::{Fd, FdTable, IdMap};

/// Fds below this live in the vector (80 bytes a slot: at most 80 KiB for
/// a process that opened a thousand files); higher (`dup2` to a chosen
/// number, raised limits) and negative ones in the map.
const DENSE: usize = 1024;

/// The fds of one process, with the map operations the state engine uses.
/// Iteration goes by ascending fd in the vector, then the map's order.
#[derive(Clone, Debug, Default)]
pub struct FdMap {
    dense: Vec<Option<Fd>>,
    sparse: IdMap<i32, Fd>,
    /// Occupied slots of `dense`.
    ndense: usize,
}

#[inline]
fn slot(fd: i32) -> Option<usize> {
    let i = fd as u32 as usize;
    (i < DENSE).then_some(i)
}

impl FdMap {
    #[inline]
    pub fn get(&self, fd: &i32) -> Option<&Fd> {
        match slot(*fd) {
            Some(i) => self.dense.get(i)?.as_ref(),
            None => self.sparse.get(fd),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, fd: &i32) -> Option<&mut Fd> {
        match slot(*fd) {
            Some(i) => self.dense.get_mut(i)?.as_mut(),
            None => self.sparse.get_mut(fd),
        }
    }

    #[inline]
    pub fn contains_key(&self, fd: &i32) -> bool {
        self.get(fd).is_some()
    }

    /// The slot of `fd` in the vector, grown to hold it.
    #[inline]
    fn dense_slot(&mut self, i: usize) -> &mut Option<Fd> {
        if i >= self.dense.len() {
            self.dense.resize_with(i + 1, || None);
        }
        &mut self.dense[i]
    }

    /// Install `f` as `fd`; returns the fd it replaces.
    #[inline]
    pub fn insert(&mut self, fd: i32, f: Fd) -> Option<Fd> {
        match slot(fd) {
            Some(i) => {
                let old = self.dense_slot(i).replace(f);
                self.ndense += old.is_none() as usize;
                old
            }
            None => self.sparse.insert(fd, f),
        }
    }

    #[inline]
    pub fn remove(&mut self, fd: &i32) -> Option<Fd> {
        match slot(*fd) {
            Some(i) => {
                let old = self.dense.get_mut(i)?.take();
                self.ndense -= old.is_some() as usize;
                old
            }
            None => self.sparse.remove(fd),
        }
    }

    /// `fd`, installed by `make` if it is not open.
    #[inline]
    pub fn get_or_insert_with(&mut self, fd: i32, make: impl FnOnce() -> Fd) -> &mut Fd {
        match slot(fd) {
            Some(i) => {
                let s = self.dense_slot(i);
                if s.is_none() {
                    self.ndense += 1;
                }
                // borrowck: re-borrow after the count changed
                self.dense[i].get_or_insert_with(make)
            }
            None => self.sparse.entry(fd).or_insert_with(make),
        }
    }

    pub fn len(&self) -> usize {
        self.ndense + self.sparse.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (fd, its entry), by ascending fd below 1024, then the others.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &Fd)> + '_ {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i as i32, f.as_ref()?)));
        dense.chain(self.sparse.iter().map(|(&k, f)| (k, f)))
    }

    pub fn values(&self) -> impl Iterator<Item = &Fd> + '_ {
        self.iter().map(|(_, f)| f)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Fd> + '_ {
        self.dense
            .iter_mut()
            .filter_map(Option::as_mut)
            .chain(self.sparse.values_mut())
    }

    /// Keep the fds for which `keep` holds; hand the others to `gone`.
    pub fn retain(&mut self, mut keep: impl FnMut(i32, &Fd) -> bool, mut gone: impl FnMut(Fd)) {
        for (i, s) in self.dense.iter_mut().enumerate() {
            if s.as_ref().is_some_and(|f| !keep(i as i32, f)) {
                gone(s.take().unwrap());
                self.ndense -= 1;
            }
        }
        for (_, f) in self.sparse.extract_if(|&k, f| !keep(k, f)) {
            gone(f);
        }
    }

    /// Every entry, emptying the map.
    pub fn drain(&mut self) -> impl Iterator<Item = Fd> + '_ {
        self.ndense = 0;
        self.dense
            .drain(..)
            .flatten()
            .chain(self.sparse.drain().map(|(_, f)| f))
    }
}

impl std::ops::Index<&i32> for FdMap {
    type Output = Fd;
    fn index(&self, fd: &i32) -> &Fd {
        self.get(fd).expect("no such fd")
    }
}

/// The fd tables of all processes by process id, with the table of the
/// current process kept out of the hash map ([`FdTables::focus`]): an
/// event looks its own process's table up several times (its fd, the
/// parser, close, the fields), and a recording's events come mostly in
/// runs of one process, so those lookups are a compare, on a table that
/// stays in cache beside the rest of the state, instead of a hash and
/// probe.
#[derive(Debug, Default)]
pub struct FdTables {
    map: IdMap<u32, FdTable>,
    /// The focused process's table; never also in `map`.
    hot: Option<(u32, FdTable)>,
    /// The previous event's process.
    last: u32,
}

impl FdTables {
    /// An event of `pid` begins: the second event in a row of a process
    /// moves its table out of the map (and the focused one back). Not the
    /// first: where processes interleave event by event (the synthetic
    /// trace) moving tables would cost more than the lookups it saves.
    /// (Tables in a slab with the focused one's slot remembered, or moved
    /// out of it, took fewer instructions but ran `bench rules` on the
    /// real `mixed` recording 10-15% slower, with `eval` unchanged.)
    #[inline]
    pub fn focus(&mut self, pid: u32) {
        if !matches!(&self.hot, Some((p, _)) if *p == pid) {
            if self.last == pid {
                self.focus_slow(pid);
            }
            self.last = pid;
        }
    }

    #[inline(never)]
    fn focus_slow(&mut self, pid: u32) {
        if let Some((p, t)) = self.hot.take() {
            self.map.insert(p, t);
        }
        self.hot = self.map.remove(&pid).map(|t| (pid, t));
    }

    #[inline]
    pub fn get(&self, pid: &u32) -> Option<&FdTable> {
        match &self.hot {
            Some((p, t)) if p == pid => Some(t),
            _ => self.map.get(pid),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, pid: &u32) -> Option<&mut FdTable> {
        match &mut self.hot {
            Some((p, t)) if p == pid => Some(t),
            _ => self.map.get_mut(pid),
        }
    }

    /// `pid`'s table, created empty if it has none.
    #[inline]
    pub fn entry_or_default(&mut self, pid: u32) -> &mut FdTable {
        match &mut self.hot {
            Some((p, t)) if *p == pid => t,
            _ => self.map.entry(pid).or_default(),
        }
    }

    pub fn contains_key(&self, pid: &u32) -> bool {
        self.get(pid).is_some()
    }

    /// Install `t` as `pid`'s table; returns the table it replaces.
    pub fn insert(&mut self, pid: u32, t: FdTable) -> Option<FdTable> {
        match &mut self.hot {
            Some((p, h)) if *p == pid => Some(std::mem::replace(h, t)),
            _ => self.map.insert(pid, t),
        }
    }

    pub fn remove(&mut self, pid: &u32) -> Option<FdTable> {
        match &self.hot {
            Some((p, _)) if p == pid => self.hot.take().map(|(_, t)| t),
            _ => self.map.remove(pid),
        }
    }

    /// Every table, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &FdTable> + '_ {
        self.map.values().chain(self.hot.as_ref().map(|(_, t)| t))
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut FdTable> + '_ {
        self.map
            .values_mut()
            .chain(self.hot.as_mut().map(|(_, t)| t))
    }
}

impl std::ops::Index<&u32> for FdTables {
    type Output = FdTable;
    fn index(&self, pid: &u32) -> &FdTable {
        self.get(pid).expect("no fd table for this pid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(n: &str) -> Fd {
        Fd {
            name: n.into(),
            ..Default::default()
        }
    }

    /// The map behaves as a hash map would, on both sides of the vector's
    /// bound and for negative numbers.
    #[test]
    fn same_as_a_hash_map() {
        let mut m = FdMap::default();
        let mut h: std::collections::HashMap<i32, String> = Default::default();
        let keys = [0, 3, 1023, 1024, 70000, -1, i32::MIN, i32::MAX, 5, 3];
        let mut x = 0u32;
        for round in 0..2000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let k = keys[(x >> 16) as usize % keys.len()];
            let name = format!("f{round}");
            match (x >> 8) % 4 {
                0 | 1 => {
                    let a = m.insert(k, named(&name)).map(|f| f.name);
                    assert_eq!(a, h.insert(k, name), "insert {k}");
                }
                2 => assert_eq!(m.remove(&k).map(|f| f.name), h.remove(&k), "remove {k}"),
                _ => {
                    let f = m.get_or_insert_with(k, || named(&name));
                    let e = h.entry(k).or_insert(name);
                    assert_eq!(&f.name, e, "get_or_insert_with {k}");
                }
            }
            assert_eq!(m.len(), h.len());
            for k in keys {
                assert_eq!(m.get(&k).map(|f| &f.name), h.get(&k), "get {k}");
                assert_eq!(m.contains_key(&k), h.contains_key(&k));
            }
        }
        let mut seen: Vec<(i32, String)> = m.iter().map(|(k, f)| (k, f.name.clone())).collect();
        let mut want: Vec<(i32, String)> = h.iter().map(|(&k, v)| (k, v.clone())).collect();
        seen.sort();
        want.sort();
        assert_eq!(seen, want);
    }

    #[test]
    fn retain_and_drain_hand_over_what_goes() {
        let mut m = FdMap::default();
        for k in [0, 1, 2, 2000, -5] {
            m.insert(k, named(&k.to_string()));
        }
        let mut gone = Vec::new();
        m.retain(|k, _| k % 2 == 0, |f| gone.push(f.name));
        gone.sort();
        assert_eq!(gone, ["-5", "1"]);
        assert_eq!(m.len(), 3);
        assert!(m.contains_key(&2000) && !m.contains_key(&1));
        let mut all: Vec<String> = m.drain().map(|f| f.name).collect();
        all.sort();
        assert_eq!(all, ["0", "2", "2000"]);
        assert!(m.is_empty() && m.get(&0).is_none());
    }

    /// The focused table answers like the map would: lookups, inserts and
    /// removals of its pid, and iteration, see every table exactly once.
    #[test]
    fn a_focused_table_is_still_every_lookups_table() {
        let mut ts = FdTables::default();
        ts.entry_or_default(1).fds.insert(3, named("/a"));
        ts.entry_or_default(2).fds.insert(4, named("/b"));
        for pid in [1, 1, 2, 2, 7, 7, 1, 2, 1, 1, 2] {
            ts.focus(pid);
            assert_eq!(ts[&1].fds[&3].name, "/a");
            assert_eq!(ts.get(&2).unwrap().fds[&4].name, "/b");
            assert!(!ts.contains_key(&7));
            assert_eq!(ts.values().count(), 2);
        }
        // a second event in a row focuses
        ts.focus(2);
        ts.focus(2);
        assert!(matches!(ts.hot, Some((2, _))));
        ts.get_mut(&2).unwrap().fds.insert(5, named("/c"));
        ts.entry_or_default(2).nthreads += 1;
        ts.focus(1);
        ts.focus(1);
        assert!(matches!(ts.hot, Some((1, _))));
        assert_eq!(ts[&2].fds[&5].name, "/c");
        assert_eq!(ts[&2].nthreads, 1);
        // replace and remove the focused table
        let old = ts.insert(1, FdTable::default()).unwrap();
        assert_eq!(old.fds[&3].name, "/a");
        assert!(ts[&1].fds.is_empty());
        assert!(ts.remove(&1).is_some());
        assert!(!ts.contains_key(&1));
        ts.focus(1);
        ts.focus(1);
        assert!(ts.get(&1).is_none());
        ts.entry_or_default(1).nthreads = 5;
        ts.focus(2);
        ts.focus(2);
        assert!(matches!(ts.hot, Some((2, _))));
        assert_eq!(ts[&1].nthreads, 5);
        assert_eq!(ts.values_mut().count(), 2);
    }
}
