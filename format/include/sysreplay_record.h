/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * sysreplay event record layout: THE single definition shared by the eBPF
 * probe (capture/bpf/probe.bpf.c) and Rust (format/src/record.rs).
 *
 * A record is what the kernel probe writes into a ring buffer: a fixed
 * 80-byte header followed by `data_len` bytes of variable data items.
 * Rust mirrors this with #[repr(C)] structs; format/tests/layout.rs compiles
 * this header with the host C compiler and checks every size and offset.
 *
 * Keep the header free of kernel includes so both sides can use it: the BPF
 * side includes its own type definitions before this file, user space uses
 * <stdint.h> through the fallback below.
 */
#ifndef SYSREPLAY_RECORD_H
#define SYSREPLAY_RECORD_H

#ifndef __VMLINUX_H__
#ifndef SR_HAVE_KERNEL_TYPES
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int64_t __s64;
#endif
#endif

/* Record kinds. */
#define SR_KIND_SYSCALL 1   /* one syscall, emitted at exit (args from saved regs) */
#define SR_KIND_PROC_EXIT 2 /* sched_process_exit: args[0]=exit code, args[1]=flags */
#define SR_KIND_PROC_FORK 3 /* sched_process_fork: tid/pid=parent, args[0]=child tid, args[1]=child tgid */
#define SR_KIND_PROC_EXEC 4 /* sched_process_exec: args[0]=old tid; items: EXE, COMM, CREDS */
#define SR_KIND_DROP 5      /* drop marker: args[0]=window start ns, args[1]=lost, args[2]=seen; item DROP_COUNTS */
#define SR_KIND_CONTAINER 6 /* a container's metadata: item CONTAINER_JSON (format 2.1; never from the probe) */
/*
 * Ring-buffer transport only, never in a trace: a batch of whole records a
 * CPU staged and sent in one ring item. Header: ts_ns = first record's,
 * cpu, args[0] = batch sequence number of that CPU, args[1] = records;
 * data_len = records * 80 bytes of records without data items follow.
 */
#define SR_KIND_RING_BATCH 127

/* Variable data item tags (item header: u8 tag, u8 flags, u16 len, then len bytes). */
#define SR_TAG_ARG0 0 /* bytes pointed to by syscall arg N (path, sockaddr, buffer prefix) */
#define SR_TAG_ARG1 1
#define SR_TAG_ARG2 2
#define SR_TAG_ARG3 3
#define SR_TAG_ARG4 4
#define SR_TAG_ARG5 5
#define SR_TAG_ARGV 16        /* NUL-separated argv (execve/execveat) */
#define SR_TAG_ENV 17         /* NUL-separated environment (only with --capture-env) */
#define SR_TAG_EXE 18         /* executable path */
#define SR_TAG_COMM 19        /* task comm (<= 16 bytes) */
#define SR_TAG_CWD 20         /* working directory */
#define SR_TAG_DROP_COUNTS 21 /* struct sr_drop_counts */
#define SR_TAG_CREDS 22       /* struct sr_creds */
#define SR_TAG_RESULT_ADDR 23 /* sockaddr returned by the kernel (accept peer, getsockname) */
#define SR_TAG_FDS 24         /* two __s32 fds written by the kernel (pipe, socketpair) */
#define SR_TAG_LOCAL_ADDR 25  /* the socket's own address after connect/accept (sockaddr_in/_in6) */
#define SR_TAG_CGROUPS 26     /* NUL-separated "subsys=path" cgroups (procexec/procfork; format 1.2) */
#define SR_TAG_EXE_FLAGS 27   /* __u32 SR_EXE_* flags of the new image (procexec; format 1.3) */
#define SR_TAG_CONTAINER_JSON 28 /* UTF-8 JSON {"container":{...}} (container records; format 2.1) */

/* Exe flags: the bits of the drivers' execve exit `flags` (libs PPM_EXE_*). */
#define SR_EXE_WRITABLE 0x1    /* the process may write its executable */
#define SR_EXE_UPPER_LAYER 0x2 /* overlayfs executable from the upper layer */
#define SR_EXE_FROM_MEMFD 0x4  /* executable is a memfd (fileless) */
#define SR_EXE_LOWER_LAYER 0x8 /* overlayfs executable from a lower layer */

/* Item flags. */
#define SR_ITEM_TRUNCATED 0x01 /* cut at the snap length */
#define SR_ITEM_FAULT 0x02     /* user memory could not be read; bytes are absent */

#define SR_MAX_ITEM_LEN 65535

/* Falco's drop categories (libs driver/modern_bpf helpers/base/stats.h), in this order. */
#define SR_DROP_CLONE_FORK_EXIT 0
#define SR_DROP_EXECVE_EXIT 1
#define SR_DROP_CONNECT_ENTER 2
#define SR_DROP_CONNECT_EXIT 3
#define SR_DROP_OPEN_ENTER 4
#define SR_DROP_OPEN_EXIT 5
#define SR_DROP_DIR_FILE_EXIT 6
#define SR_DROP_OTHER_INTEREST_EXIT 7
#define SR_DROP_CLOSE_EXIT 8
#define SR_DROP_PROC_EXIT 9
#define SR_DROP_NCATEGORIES 10

/* Capture plans: what the probe copies from user memory at a syscall's
 * exit. The loader writes each syscall's plan into the probe's sc_plan;
 * the per-syscall table is sysreplay-syscalls' capture_plan(). */
#define SR_PLAN_NONE 0      /* a fixed-size record, no data items */
#define SR_PLAN_S0 1        /* path arg0 */
#define SR_PLAN_S1 2        /* path arg1 */
#define SR_PLAN_S0S1 3      /* paths arg0, arg1 */
#define SR_PLAN_S1S3 4      /* paths arg1, arg3 */
#define SR_PLAN_S0S2 5      /* paths arg0, arg2 */
#define SR_PLAN_S0S1S2 6    /* mount: source, target, fstype */
#define SR_PLAN_SA1 7       /* sockaddr arg1, length arg2 */
#define SR_PLAN_WBUF 8      /* buffer arg1, length arg2 */
#define SR_PLAN_RBUF 9      /* buffer arg1, length = ret */
#define SR_PLAN_SENDTO 10   /* buffer arg1 len arg2; sockaddr arg4 len arg5 */
#define SR_PLAN_RECVFROM 11 /* buffer arg1 len ret; result addr arg4 len *arg5 */
#define SR_PLAN_RADDR1 12   /* result addr arg1, length *arg2 */
#define SR_PLAN_FDS0 13     /* int[2] at arg0 */
#define SR_PLAN_FDS3 14     /* int[2] at arg3 */
#define SR_PLAN_EXEC 15     /* saved at enter */
#define SR_PLAN_RECVMSG 16  /* result addr: msghdr at arg1 (msg_name, msg_namelen written back) */
#define SR_PLAN_CONNECT 17  /* sockaddr arg1 length arg2; local address of fd arg0 */
#define SR_PLAN_ACCEPT 18   /* result addr arg1, length *arg2; local address of the new fd */
#define SR_NPLANS 19

struct sr_record {
	__u64 ts_ns;    /* CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns) */
	__u32 tid;      /* kernel pid of the thread */
	__u32 pid;      /* kernel tgid */
	__u16 kind;     /* SR_KIND_* */
	__u16 cpu;      /* CPU the record was produced on */
	__u16 nr;       /* syscall number (native ABI of the trace's arch) */
	__u16 data_len; /* bytes of variable data items after this header */
	__s64 ret;      /* syscall return value (SR_KIND_SYSCALL) */
	__u64 args[6];  /* raw syscall arguments, or kind-specific values */
};

struct sr_item_hdr {
	__u8 tag;
	__u8 flags;
	__u16 len;
};

struct sr_creds {
	__u32 uid, gid, euid, egid;
	__u32 loginuid;
	__u32 tty;      /* tty device number, 0 if none */
	__u32 ppid;     /* tgid of the real parent */
	__u32 pad;
	__u64 cap_effective, cap_permitted, cap_inheritable;
};

struct sr_drop_counts {
	__u64 n[SR_DROP_NCATEGORIES]; /* events lost per Falco category */
	__u64 n_other;                /* lost events in no category */
};

/* Per-CPU kernel counters, read by user space to produce drop markers. */
struct sr_cpu_counters {
	__u64 n_evts;  /* events seen (incremented before the reserve, like Falco) */
	__u64 n_drops; /* failed reserves */
	__u64 n_drops_cat[SR_DROP_NCATEGORIES];
	__u64 n_drops_other;
};

#endif /* SYSREPLAY_RECORD_H */
