//! Print the records of a trace, raw (debugging aid for the probe).
use std::ops::ControlFlow;

fn main() {
    let path = std::env::args().nth(1).expect("usage: srdump FILE");
    let r = sysreplay_format::TraceReader::open(std::path::Path::new(&path)).unwrap();
    r.for_each_event(|e| {
        let name = sysreplay_syscalls::display_name(e.nr);
        print!(
            "{} cpu{} {}:{} kind={} {} ret={} args={:x?}",
            e.ts_ns, e.cpu, e.pid, e.tid, e.kind, name, e.ret, e.args
        );
        for i in e.items() {
            print!(
                " [{} f{} {:?}]",
                sysreplay_format::record::tag::name(i.tag),
                i.flags,
                String::from_utf8_lossy(&i.bytes[..i.bytes.len().min(120)])
            );
        }
        println!();
        ControlFlow::Continue(())
    })
    .unwrap();
}
