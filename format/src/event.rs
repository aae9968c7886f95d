//! Events as readers see them: a record header plus a borrowed slice of its
//! variable data (zero-copy into a decompressed block).

use crate::record::{tag, Creds, DropCounts, Item, Items, Kind, RecordHeader};

/// One event, borrowing its variable data from the block it was decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// CLOCK_BOOTTIME nanoseconds; add `TraceHeader::boot_to_wall_ns` for wall time.
    pub ts_ns: u64,
    pub cpu: u16,
    pub tid: u32,
    pub pid: u32,
    pub kind: u16,
    pub nr: u16,
    pub ret: i64,
    pub args: [u64; 6],
    pub data: &'a [u8],
}

impl<'a> Event<'a> {
    pub fn from_record(h: &RecordHeader, data: &'a [u8]) -> Self {
        Event {
            ts_ns: h.ts_ns,
            cpu: h.cpu,
            tid: h.tid,
            pid: h.pid,
            kind: h.kind,
            nr: h.nr,
            ret: h.ret,
            args: h.args,
            data,
        }
    }

    pub fn header(&self) -> RecordHeader {
        RecordHeader {
            ts_ns: self.ts_ns,
            tid: self.tid,
            pid: self.pid,
            kind: self.kind,
            cpu: self.cpu,
            nr: self.nr,
            data_len: self.data.len() as u16,
            ret: self.ret,
            args: self.args,
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        Kind::from_u16(self.kind)
    }
    pub fn is_syscall(&self) -> bool {
        self.kind == Kind::Syscall as u16
    }
    pub fn items(&self) -> Items<'a> {
        Items::new(self.data)
    }
    /// The first item with this tag.
    pub fn item(&self, t: u8) -> Option<Item<'a>> {
        self.items().find(|i| i.tag == t)
    }
    /// The captured bytes behind syscall argument `n` (0..=5), if any.
    pub fn arg_data(&self, n: usize) -> Option<Item<'a>> {
        self.item(n as u8)
    }
    pub fn creds(&self) -> Option<Creds> {
        self.item(tag::CREDS).and_then(|i| Creds::decode(i.bytes))
    }
    /// The EXE_FLAGS item's bits (`record::exe_flags`), when it is whole.
    pub fn exe_flags(&self) -> Option<u32> {
        self.item(tag::EXE_FLAGS)
            .and_then(|i| i.bytes.get(..4))
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    }
    /// A container record's JSON (`{"container":{...}}`), as stored.
    pub fn container_json(&self) -> Option<&'a [u8]> {
        self.item(tag::CONTAINER_JSON).map(|i| i.bytes)
    }
    pub fn drop_counts(&self) -> Option<DropCounts> {
        self.item(tag::DROP_COUNTS)
            .and_then(|i| DropCounts::decode(i.bytes))
    }
    pub fn to_owned_event(&self) -> OwnedEvent {
        OwnedEvent {
            header: self.header(),
            data: self.data.to_vec(),
        }
    }
}

/// An event that owns its data (for tests, builders and merging).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnedEvent {
    pub header: RecordHeader,
    pub data: Vec<u8>,
}

impl OwnedEvent {
    pub fn as_event(&self) -> Event<'_> {
        Event::from_record(&self.header, &self.data)
    }

    /// A record of thread `(tid, pid)` with these `(tag, bytes)` items, as
    /// the recorder lays them out (cpu 0; for tests and builders).
    pub fn record(
        kind: Kind,
        (tid, pid): (u32, u32),
        nr: u16,
        ts_ns: u64,
        ret: i64,
        args: [u64; 6],
        items: &[(u8, &[u8])],
    ) -> Self {
        let mut data = Vec::new();
        for &(t, b) in items {
            crate::record::push_item(&mut data, t, 0, b);
        }
        let header = RecordHeader {
            ts_ns,
            tid,
            pid,
            kind: kind as u16,
            nr,
            data_len: data.len() as u16,
            ret,
            args,
            ..Default::default()
        };
        OwnedEvent { header, data }
    }
}
