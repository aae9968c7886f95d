//! Pinning the calling thread to CPUs, for measurements: the one
//! implementation behind `record --bench` and `bench format`.

/// The calling thread pinned to some CPUs (threads it starts from then on
/// inherit the set); its previous set comes back when this is dropped.
pub struct Pinned {
    saved: Option<libc::cpu_set_t>,
}

impl Pinned {
    /// Pin to `cpus` (numbers past `CPU_SETSIZE` are left out). When the
    /// kernel refuses, nothing changes and [`Pinned::pinned`] is false.
    pub fn to(cpus: &[usize]) -> Pinned {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: cpu_set_t is plain data; the calls only read and write
        // these local sets, for the calling thread (pid 0).
        unsafe {
            let mut saved: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, size, &mut saved) != 0 {
                return Pinned { saved: None };
            }
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &c in cpus.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
                libc::CPU_SET(c, &mut set);
            }
            let ok = libc::sched_setaffinity(0, size, &set) == 0;
            Pinned {
                saved: ok.then_some(saved),
            }
        }
    }

    /// Pin to the first CPU this thread may run on now.
    pub fn to_first_allowed() -> Pinned {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in `to`.
        let first = unsafe {
            let mut now: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, size, &mut now) != 0 {
                return Pinned { saved: None };
            }
            (0..libc::CPU_SETSIZE as usize).find(|&c| libc::CPU_ISSET(c, &now))
        };
        match first {
            Some(c) => Pinned::to(&[c]),
            None => Pinned { saved: None },
        }
    }

    /// Whether the thread is pinned.
    pub fn pinned(&self) -> bool {
        self.saved.is_some()
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            // SAFETY: as in `to`.
            unsafe {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), saved);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<usize> {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in `Pinned::to`.
        unsafe {
            let mut s: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(libc::sched_getaffinity(0, size, &mut s), 0);
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &s))
                .collect()
        }
    }

    #[test]
    fn pins_one_cpu_and_restores_the_set() {
        // on a thread of its own: the other tests' threads keep theirs
        std::thread::spawn(|| {
            let before = allowed();
            {
                let p = Pinned::to_first_allowed();
                assert!(p.pinned());
                assert_eq!(allowed(), vec![before[0]]);
            }
            assert_eq!(allowed(), before);
            let p = Pinned::to(&[usize::MAX]);
            assert!(!p.pinned(), "an empty set is refused");
            assert_eq!(allowed(), before);
        })
        .join()
        .unwrap();
    }
}
