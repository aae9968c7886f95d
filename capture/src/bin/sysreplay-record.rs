fn main() {
    let cfg = sysreplay_capture::probe::ProbeConfig {
        syscalls: (0..460).collect(),
        buf_size: 8 << 20,
        cpus_for_each_buffer: 1,
        snaplen: 80,
        capture_env: false,
        exclude_tgid: std::process::id(),
    };
    let mut p = sysreplay_capture::probe::Probe::load(&cfg).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut n = 0;
    for r in p.rings.iter_mut() {
        while let Some(it) = r.next() {
            n += 1;
            let _ = &*it;
        }
    }
    println!("{n} records, {:?}", p.counters().unwrap());
}
