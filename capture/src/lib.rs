//! The recorder: an eBPF probe on raw syscall tracepoints, loaded with aya,
//! draining ring buffers into a trace file. (Filled by the recorder issue.)
