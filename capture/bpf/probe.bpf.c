// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysreplay kernel probe.
 *
 * One record per selected syscall, written at sys_exit with the arguments
 * taken from the saved user registers (x86_64 ABI); execve/execveat also have
 * a small enter program that saves the filename and argv (gone after a
 * successful exec) in a per-thread map until the exit. Process lifecycle
 * records come from sched_process_fork/exec/exit.
 *
 * Records go into one BPF ring buffer per group of `cpus_for_each_buffer` CPUs (an
 * array of ring buffers created by user space), submitted without wakeups:
 * user space drains on a timer. Per-CPU counters count every event seen
 * (before the reserve, like Falco) and every failed reserve, by Falco's drop
 * category.
 *
 * Following a process tree (`record -- COMMAND`, `--pid`): with `follow`
 * set, every program first looks the current thread group up in the
 * `followed` hash map and writes nothing for the others (they are counted
 * in `skipped` only). The loader fills the map with the root process and
 * its descendants; sched_process_fork adds the children of followed
 * processes, and sched_process_exit removes a group when its last thread
 * exits. The counters then concern the followed processes only.
 *
 * Record layout: format/include/sysreplay_record.h.
 */
#include "sr_kernel.h"
#include "../../format/include/sysreplay_record.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- configuration, set by the loader before load (frozen .rodata) ---- */

/*
 * Per syscall number: 0 = not selected; else SR_CFG_SELECTED | category,
 * plus SR_CFG_ITEMS when the record carries data items (its sc_plan is not
 * SR_PLAN_NONE).
 */
#define SR_NSYSCALLS 512
#define SR_CFG_SELECTED 0x80
#define SR_CFG_ITEMS 0x40
#define SR_CFG_CAT_MASK 0x0f
#define SR_CFG_CAT_NONE 0x0f
const volatile __u8 sc_cfg[SR_NSYSCALLS] = {};
/* Per syscall number: its capture plan (SR_PLAN_*), written by the loader
 * from sysreplay-syscalls' capture_plan(). */
const volatile __u8 sc_plan[SR_NSYSCALLS] = {};
const volatile __u32 self_tgid = 0;      /* the recorder itself is not recorded */
const volatile __u32 snaplen = 80;       /* bytes captured of I/O buffers */
const volatile __u32 capture_env = 0;    /* 1 = ENV item on exec records */
/* Records per staged batch, 1..STAGE_RECORDS: the loader keeps a batch to at
 * most 1/16 of a ring, so a small ring is not all-or-nothing. */
const volatile __u32 stage_max = 64;
/* Following (see the top): record only thread groups in `followed`. With
 * `follow` 0 (the default) the checks below are dead code the verifier
 * removes: recording the whole host costs nothing more. */
const volatile __u32 follow = 0;
/* The children a followed process forks are followed. */
const volatile __u32 follow_children = 0;
/* The children the recorder itself forks (the command of `record --
 * COMMAND`) are followed from their first instruction. */
const volatile __u32 follow_self_children = 0;

/* ---- maps ---- */

struct ring_tmpl {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* template only: user space creates the real rings */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set by the loader: one slot per possible CPU */
	__type(key, __u32);
	__array(values, struct ring_tmpl);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sr_cpu_counters);
} counters SEC(".maps");

/*
 * Fixed-size records are staged per CPU and sent to the ring in batches
 * (SR_KIND_RING_BATCH): a reserve + submit per record cost more than the
 * rest of the fast path together. A batch goes out when it is full, when
 * its first record is STAGE_MAX_AGE_NS old at the next append, before any
 * record built in aux (so a CPU's records stay in order), and when user
 * space runs sr_flush on that CPU (it does for CPUs that went quiet).
 */
#define STAGE_RECORDS 64
#define STAGE_MAX_AGE_NS 1000000ULL
struct stage {
	__u64 seq;  /* batches sent (or lost) so far */
	__u32 n;    /* records staged */
	__u32 busy; /* an append is in progress: sr_flush (an IPI) must wait */
	__u32 cat_n[SR_DROP_NCATEGORIES + 1]; /* staged records per drop category, last = none */
	__u32 pad;
	struct sr_record hdr; /* the batch header, right before the records */
	struct sr_record rec[STAGE_RECORDS];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stage);
} stages SEC(".maps");

/* Scratch space to build variable-size records (one per CPU). */
#define HALF 16384
#define AUX_SIZE (2 * HALF)
struct aux {
	__u8 b[AUX_SIZE];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aux);
} auxmap SEC(".maps");

/* What execve/execveat enter saved for the exit: raw args + ready-made items. */
#define PATH_MAX_CAP 4096
#define ARGV_CAP 4096
#define EXEC_DATA (3 * (PATH_MAX_CAP + 4) + 64)
struct exec_save {
	__u64 args[6];
	__u32 len; /* bytes of items in data */
	__u32 pad;
	__u8 data[EXEC_DATA];
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct exec_save);
} exec_args SEC(".maps");

/* Thread groups followed (key: tgid). Not preallocated: a tree is small. */
#define FOLLOW_MAX 65536
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FOLLOW_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

/* Events of processes not followed, left out (per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} skipped SEC(".maps");

/* ---- helpers ---- */

#define TS_COMPAT 0x0002
#define MAX_ARGS 64

static __always_inline struct sr_cpu_counters *get_counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline struct aux *get_aux(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&auxmap, &zero);
}

/* `rings` has one slot per possible CPU; CPUs sharing a ring hold the same ring. */
static __always_inline void *get_ring(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&rings, &cpu);
}

static __always_inline void count_drop(struct sr_cpu_counters *c, __u32 cat)
{
	if (!c)
		return;
	c->n_drops++;
	if (cat >= SR_DROP_NCATEGORIES) {
		c->n_drops_other++;
		return;
	}
	barrier_var(cat); /* keep the bounds check before the address computation */
	c->n_drops_cat[cat]++;
}

/* Following and `tgid` is not followed: count the event as left out. */
static __always_inline bool not_followed(__u32 tgid)
{
	__u32 zero = 0;
	__u64 *n;

	if (!follow || bpf_map_lookup_elem(&followed, &tgid))
		return false;
	n = bpf_map_lookup_elem(&skipped, &zero);
	if (n)
		(*n)++;
	return true;
}

static __always_inline struct stage *get_stage(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&stages, &zero);
}

/* Send the staged records as one ring item; on a failed reserve they are
 * all lost, each counted in its own category. */
static __always_inline void stage_flush(struct sr_cpu_counters *c, struct stage *st)
{
	__u32 n = st->n;
	void *ring;
	int i;

	if (n == 0)
		return;
	if (n > STAGE_RECORDS)
		n = STAGE_RECORDS;
	st->hdr.ts_ns = st->rec[0].ts_ns;
	st->hdr.tid = 0;
	st->hdr.pid = 0;
	st->hdr.kind = SR_KIND_RING_BATCH;
	st->hdr.cpu = st->rec[0].cpu;
	st->hdr.nr = 0;
	st->hdr.data_len = n * sizeof(struct sr_record);
	st->hdr.ret = 0;
	st->hdr.args[0] = st->seq;
	st->hdr.args[1] = n;
	ring = get_ring();
	if (!ring ||
	    bpf_ringbuf_output(ring, &st->hdr, (n + 1) * sizeof(struct sr_record), BPF_RB_NO_WAKEUP)) {
		if (c) {
			c->n_drops += n;
#pragma clang loop unroll(full)
			for (i = 0; i < SR_DROP_NCATEGORIES; i++)
				c->n_drops_cat[i] += st->cat_n[i];
			c->n_drops_other += st->cat_n[SR_DROP_NCATEGORIES];
		}
	}
#pragma clang loop unroll(full)
	for (i = 0; i <= SR_DROP_NCATEGORIES; i++)
		st->cat_n[i] = 0;
	st->n = 0;
	st->seq++;
}

/* Flush this CPU's staged records before a record that bypasses the stage. */
static __always_inline void stage_flush_now(struct sr_cpu_counters *c)
{
	struct stage *st = get_stage();

	if (!st || !st->n)
		return;
	st->busy = 1;
	barrier();
	stage_flush(c, st);
	barrier();
	st->busy = 0;
}

static __always_inline void fill_hdr(struct sr_record *r, __u64 pid_tgid, __u16 kind, __u16 nr)
{
	r->ts_ns = bpf_ktime_get_boot_ns();
	r->tid = (__u32)pid_tgid;
	r->pid = pid_tgid >> 32;
	r->kind = kind;
	r->cpu = bpf_get_smp_processor_id();
	r->nr = nr;
	r->data_len = 0;
	r->ret = 0;
}

/* Send the record built in aux (header + items up to `off`). */
static __always_inline void submit_aux(struct sr_cpu_counters *c, struct aux *a, __u32 off,
				       __u32 cat)
{
	struct sr_record *r = (void *)a->b;
	void *ring;

	if (off > AUX_SIZE)
		off = AUX_SIZE;
	if (off < sizeof(*r))
		off = sizeof(*r);
	r->data_len = off - sizeof(*r);
	if (c)
		c->n_evts++;
	stage_flush_now(c);
	ring = get_ring();
	if (!ring || bpf_ringbuf_output(ring, a->b, off, BPF_RB_NO_WAKEUP))
		count_drop(c, cat);
}

/* Item: a NUL-terminated string (kept with its NUL), from user memory or,
 * with !user, kernel memory; `user` is a constant at every call site. */
static __always_inline __u32 put_str(struct aux *a, __u32 off, __u8 tag, const void *p, bool user)
{
	struct sr_item_hdr *h;
	long n = -1;

	if (off >= HALF)
		return off;
	off &= HALF - 1;
	h = (void *)&a->b[off];
	if (p)
		n = user ? bpf_probe_read_user_str(&a->b[off + 4], PATH_MAX_CAP, p)
			 : bpf_probe_read_kernel_str(&a->b[off + 4], PATH_MAX_CAP, p);
	h->tag = tag;
	if (n <= 0) {
		h->flags = SR_ITEM_FAULT;
		h->len = 0;
		return off + 4;
	}
	h->flags = n >= PATH_MAX_CAP ? SR_ITEM_TRUNCATED : 0;
	h->len = n;
	return off + 4 + (__u32)n;
}

#define put_ustr(a, off, tag, p) put_str(a, off, tag, p, true)
#define put_kstr(a, off, tag, p) put_str(a, off, tag, p, false)

/* Item: `len` bytes of user memory, cut at `cap` (<= PATH_MAX_CAP). */
static __always_inline __u32 put_ubuf(struct aux *a, __u32 off, __u8 tag, const void *p, __u64 len,
				      __u32 cap)
{
	struct sr_item_hdr *h;
	__u32 n;
	__u8 flags = 0;

	if (off >= HALF)
		return off;
	off &= HALF - 1;
	h = (void *)&a->b[off];
	if (cap > PATH_MAX_CAP)
		cap = PATH_MAX_CAP;
	if (len > cap) {
		len = cap;
		flags = SR_ITEM_TRUNCATED;
	}
	n = len;
	if (n > PATH_MAX_CAP)
		n = PATH_MAX_CAP;
	h->tag = tag;
	if (!p || (n && bpf_probe_read_user(&a->b[off + 4], n, p))) {
		h->flags = SR_ITEM_FAULT;
		h->len = 0;
		return off + 4;
	}
	h->flags = flags;
	h->len = n;
	return off + 4 + n;
}

/* Item: a sockaddr the kernel wrote at `p`, its length at user `lenp`. */
static __always_inline __u32 put_result_addr(struct aux *a, __u32 off, const void *p,
					     const void *lenp)
{
	int len = 0;

	if (!p || !lenp || bpf_probe_read_user(&len, sizeof(len), lenp) || len <= 0)
		return off;
	return put_ubuf(a, off, SR_TAG_RESULT_ADDR, p, (__u32)len, 128);
}


#define AF_INET 2
#define AF_INET6 10
#define EINPROGRESS 115

/*
 * Item: the local address of the socket at `fd` of task `t`, as a
 * sockaddr_in/_in6 (the ephemeral port and source address a connect or
 * accept got, which the syscall's arguments do not hold). Nothing for other
 * families or when any step of the walk fails.
 */
static __always_inline __u32 put_local_addr(struct aux *a, __u32 off, struct task_struct *t,
					    long fd)
{
	struct files_struct *files = NULL;
	struct fdtable *fdt = NULL;
	struct file **fda = NULL;
	struct file *f = NULL;
	struct socket *so = NULL;
	struct sock *sk = NULL;
	struct inet_sock *in;
	struct sr_item_hdr *h;
	unsigned int max = 0;
	unsigned short fam = 0;
	__u8 *b;
	int i;

	if (fd < 0 || off >= HALF)
		return off;
	off &= HALF - 1;
	if (bpf_probe_read_kernel(&files, sizeof(files), &t->files) || !files ||
	    bpf_probe_read_kernel(&fdt, sizeof(fdt), &files->fdt) || !fdt ||
	    bpf_probe_read_kernel(&max, sizeof(max), &fdt->max_fds) || fd >= max ||
	    bpf_probe_read_kernel(&fda, sizeof(fda), &fdt->fd) || !fda ||
	    bpf_probe_read_kernel(&f, sizeof(f), &fda[fd]) || !f ||
	    bpf_probe_read_kernel(&so, sizeof(so), &f->private_data) || !so ||
	    bpf_probe_read_kernel(&sk, sizeof(sk), &so->sk) || !sk ||
	    bpf_probe_read_kernel(&fam, sizeof(fam), &sk->__sk_common.skc_family))
		return off;
	in = (struct inet_sock *)sk;
	h = (void *)&a->b[off];
	b = &a->b[off + 4];
#pragma clang loop unroll(full)
	for (i = 0; i < 28; i++)
		b[i] = 0;
	b[0] = fam; /* sa_family, little-endian like the probe's other sockaddrs */
	if (bpf_probe_read_kernel(&b[2], 2, &in->inet_sport))
		return off;
	if (fam == AF_INET) {
		if (bpf_probe_read_kernel(&b[4], 4, &in->inet_saddr))
			return off;
		h->len = 16;
	} else if (fam == AF_INET6 && sr_field_exists(sk->__sk_common.skc_v6_rcv_saddr)) {
		if (bpf_probe_read_kernel(&b[8], 16, &sk->__sk_common.skc_v6_rcv_saddr))
			return off;
		h->len = 28;
	} else {
		return off;
	}
	h->tag = SR_TAG_LOCAL_ADDR;
	h->flags = 0;
	return off + 4 + h->len;
}

static __always_inline __u32 put_comm(struct aux *a, __u32 off, struct task_struct *t)
{
	struct sr_item_hdr *h;
	long n;

	if (off >= HALF)
		return off;
	off &= HALF - 1;
	h = (void *)&a->b[off];
	n = bpf_probe_read_kernel_str(&a->b[off + 4], 16, t->comm);
	h->tag = SR_TAG_COMM;
	h->flags = 0;
	if (n < 0)
		n = 0;
	h->len = n;
	return off + 4 + (__u32)(n & 31);
}

static __always_inline __u32 tty_of(struct task_struct *t)
{
	struct tty_struct *tty = t->signal->tty;
	__u32 major, minor;

	if (!tty)
		return 0;
	major = tty->driver->major;
	minor = tty->driver->minor_start + tty->index;
	/* new_encode_dev(), as /proc/<pid>/stat's tty_nr */
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static __always_inline __u32 put_creds(struct aux *a, __u32 off, struct task_struct *t)
{
	struct sr_item_hdr *h;
	struct sr_creds *cr;
	const struct cred *c = t->real_cred;

	if (off >= HALF)
		return off;
	off &= HALF - 1;
	h = (void *)&a->b[off];
	cr = (void *)&a->b[off + 4];
	h->tag = SR_TAG_CREDS;
	h->flags = 0;
	h->len = sizeof(*cr);
	cr->uid = c->uid.val;
	cr->gid = c->gid.val;
	cr->euid = c->euid.val;
	cr->egid = c->egid.val;
	cr->loginuid = sr_field_exists(t->loginuid) ? t->loginuid.val : (__u32)-1;
	cr->tty = tty_of(t);
	cr->ppid = t->real_parent->tgid;
	cr->pad = 0;
	cr->cap_effective = c->cap_effective.val;
	cr->cap_permitted = c->cap_permitted.val;
	cr->cap_inheritable = c->cap_inheritable.val;
	return off + 4 + sizeof(*cr);
}

/* Item: a NUL-separated block of user memory [start, end) (argv or env of an mm). */
static __always_inline __u32 put_mm_block(struct aux *a, __u32 off, __u8 tag, unsigned long start,
					  unsigned long end)
{
	__u64 len = end > start ? end - start : 0;

	return put_ubuf(a, off, tag, (const void *)start, len, ARGV_CAP);
}

/*
 * Item: a user array of string pointers (argv/envp) packed NUL-separated,
 * at most ARGV_CAP bytes and MAX_ARGS strings.
 */
static __always_inline __u32 put_strv(struct aux *a, __u32 off, __u8 tag, const char *const *v)
{
	struct sr_item_hdr *h;
	__u32 base, p = 0;
	__u8 flags = 0;
	int i;

	if (off >= HALF)
		return off;
	off &= HALF - 1;
	h = (void *)&a->b[off];
	base = off + 4;
	h->tag = tag;
	if (!v) {
		h->flags = SR_ITEM_FAULT;
		h->len = 0;
		return base;
	}
#pragma clang loop unroll(disable)
	for (i = 0; i < MAX_ARGS; i++) {
		const char *s = NULL;
		long n;

		if (bpf_probe_read_user(&s, sizeof(s), &v[i])) {
			flags |= SR_ITEM_FAULT;
			break;
		}
		if (!s)
			break;
		if (p >= ARGV_CAP) {
			flags |= SR_ITEM_TRUNCATED;
			break;
		}
		n = bpf_probe_read_user_str(&a->b[base + (p & (ARGV_CAP - 1))], ARGV_CAP, s);
		if (n <= 0) {
			flags |= SR_ITEM_FAULT;
			break;
		}
		p += n;
	}
	if (i == MAX_ARGS)
		flags |= SR_ITEM_TRUNCATED;
	if (p > ARGV_CAP) {
		p = ARGV_CAP;
		flags |= SR_ITEM_TRUNCATED;
	}
	h->flags = flags;
	h->len = p;
	return base + p;
}

/* ---- execve / execveat enter: save what exit cannot read any more ---- */

static __always_inline int save_exec(struct sr_sys_enter_ctx *ctx, int nr)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct exec_save *es;
	struct aux *a;
	__u32 off;
	const void *fname;
	const char *const *argv;
	const char *const *envp;
	int i;

	if (!(sc_cfg[nr] & SR_CFG_SELECTED) || (pid_tgid >> 32) == self_tgid)
		return 0;
	if (follow) {
		__u32 tgid = pid_tgid >> 32;

		/* not counted as skipped: the exit counts the syscall once */
		if (!bpf_map_lookup_elem(&followed, &tgid))
			return 0;
	}
	a = get_aux();
	if (!a)
		return 0;
	es = (void *)a->b;
	/* read only the args this tracepoint has: the context ends after them */
#pragma clang loop unroll(full)
	for (i = 0; i < 6; i++)
		es->args[i] = i < (nr == 59 ? 3 : 5) ? ctx->args[i] : 0;
	/* items are built at offset 0 of es->data == a->b + 56 */
	if (nr == 59) {
		fname = (const void *)ctx->args[0];
		argv = (const char *const *)ctx->args[1];
		envp = (const char *const *)ctx->args[2];
		off = put_ustr(a, 56, SR_TAG_ARG0, fname);
	} else {
		fname = (const void *)ctx->args[1];
		argv = (const char *const *)ctx->args[2];
		envp = (const char *const *)ctx->args[3];
		off = put_ustr(a, 56, SR_TAG_ARG1, fname);
	}
	off = put_strv(a, off, SR_TAG_ARGV, argv);
	if (capture_env)
		off = put_strv(a, off, SR_TAG_ENV, envp);
	if (off < 56)
		off = 56;
	es->len = off - 56;
	es->pad = 0;
	bpf_map_update_elem(&exec_args, &tid, es, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int sr_enter_execve(struct sr_sys_enter_ctx *ctx)
{
	return save_exec(ctx, 59);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int sr_enter_execveat(struct sr_sys_enter_ctx *ctx)
{
	return save_exec(ctx, 322);
}

/* ---- sys_exit: one record per selected syscall ---- */

SEC("tp_btf/sys_exit")
int sr_sys_exit(unsigned long long *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	long ret = (long)ctx[1];
	struct sr_cpu_counters *c;
	struct task_struct *task;
	struct sr_record *r;
	struct aux *a;
	__u64 pid_tgid, args[6];
	__u32 nr, cat, off;
	__u8 cfg;
	int plan;

	if (regs->orig_ax >= SR_NSYSCALLS)
		return 0; /* also x32 (bit 30) and -1 (no syscall) */
	nr = regs->orig_ax & (SR_NSYSCALLS - 1);
	cfg = sc_cfg[nr];
	if (!(cfg & SR_CFG_SELECTED))
		return 0;
	/*
	 * One helper call for the task; pid, tgid and the compat flag are plain
	 * loads from it (helper calls are what costs most here: every kernel
	 * call/return pays for retpolines/safe-RET on mitigated CPUs).
	 */
	task = bpf_get_current_task_btf();
	if ((__u32)task->tgid == self_tgid)
		return 0;
	if (task->thread_info.status & TS_COMPAT)
		return 0; /* ia32 syscall numbers are another table */
	if (not_followed(task->tgid))
		return 0;
	pid_tgid = ((__u64)(__u32)task->tgid << 32) | (__u32)task->pid;
	cat = cfg & SR_CFG_CAT_MASK;
	c = get_counters();
	plan = (cfg & SR_CFG_ITEMS) ? sc_plan[nr] : SR_PLAN_NONE;

	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;

	if (plan == SR_PLAN_NONE) {
		/* fast path: a fixed-size record, staged (see struct stage) */
		struct stage *st = get_stage();
		__u32 n;

		if (c)
			c->n_evts++;
		if (!st) {
			count_drop(c, cat);
			return 0;
		}
		st->busy = 1;
		barrier();
		n = st->n;
		if (n >= STAGE_RECORDS) { /* not reached: full batches go out below */
			stage_flush(c, st);
			n = 0;
		}
		r = &st->rec[n & (STAGE_RECORDS - 1)];
		fill_hdr(r, pid_tgid, SR_KIND_SYSCALL, nr);
		r->ret = ret;
		r->args[0] = args[0];
		r->args[1] = args[1];
		r->args[2] = args[2];
		r->args[3] = args[3];
		r->args[4] = args[4];
		r->args[5] = args[5];
		st->cat_n[cat < SR_DROP_NCATEGORIES ? cat : SR_DROP_NCATEGORIES]++;
		barrier();
		st->n = n + 1;
		if (n + 1 >= stage_max || r->ts_ns - st->rec[0].ts_ns > STAGE_MAX_AGE_NS)
			stage_flush(c, st);
		barrier();
		st->busy = 0;
		return 0;
	}

	a = get_aux();
	if (!a) {
		if (c)
			c->n_evts++;
		count_drop(c, cat);
		return 0;
	}
	r = (void *)a->b;
	fill_hdr(r, pid_tgid, SR_KIND_SYSCALL, nr);
	r->ret = ret;
	off = sizeof(*r);

	switch (plan) {
	case SR_PLAN_S0:
		off = put_ustr(a, off, SR_TAG_ARG0, (void *)args[0]);
		break;
	case SR_PLAN_S1:
		off = put_ustr(a, off, SR_TAG_ARG1, (void *)args[1]);
		break;
	case SR_PLAN_S0S1:
		off = put_ustr(a, off, SR_TAG_ARG0, (void *)args[0]);
		off = put_ustr(a, off, SR_TAG_ARG1, (void *)args[1]);
		break;
	case SR_PLAN_S1S3:
		off = put_ustr(a, off, SR_TAG_ARG1, (void *)args[1]);
		off = put_ustr(a, off, SR_TAG_ARG3, (void *)args[3]);
		break;
	case SR_PLAN_S0S2:
		off = put_ustr(a, off, SR_TAG_ARG0, (void *)args[0]);
		off = put_ustr(a, off, SR_TAG_ARG2, (void *)args[2]);
		break;
	case SR_PLAN_S0S1S2:
		if (args[0])
			off = put_ustr(a, off, SR_TAG_ARG0, (void *)args[0]);
		off = put_ustr(a, off, SR_TAG_ARG1, (void *)args[1]);
		if (args[2])
			off = put_ustr(a, off, SR_TAG_ARG2, (void *)args[2]);
		break;
	case SR_PLAN_SA1:
		off = put_ubuf(a, off, SR_TAG_ARG1, (void *)args[1], (__u32)args[2], 128);
		break;
	case SR_PLAN_CONNECT:
		off = put_ubuf(a, off, SR_TAG_ARG1, (void *)args[1], (__u32)args[2], 128);
		if (ret == 0 || ret == -EINPROGRESS)
			off = put_local_addr(a, off, task, (long)args[0]);
		break;
	case SR_PLAN_ACCEPT:
		if (ret >= 0) {
			off = put_result_addr(a, off, (void *)args[1], (void *)args[2]);
			off = put_local_addr(a, off, task, ret);
		}
		break;
	case SR_PLAN_WBUF:
		off = put_ubuf(a, off, SR_TAG_ARG1, (void *)args[1], args[2], snaplen);
		break;
	case SR_PLAN_RBUF:
		if (ret > 0)
			off = put_ubuf(a, off, SR_TAG_ARG1, (void *)args[1], ret, snaplen);
		break;
	case SR_PLAN_SENDTO:
		off = put_ubuf(a, off, SR_TAG_ARG1, (void *)args[1], args[2], snaplen);
		if (args[4])
			off = put_ubuf(a, off, SR_TAG_ARG4, (void *)args[4], (__u32)args[5], 128);
		break;
	case SR_PLAN_RECVFROM:
		if (ret > 0)
			off = put_ubuf(a, off, SR_TAG_ARG1, (void *)args[1], ret, snaplen);
		if (ret >= 0)
			off = put_result_addr(a, off, (void *)args[4], (void *)args[5]);
		break;
	case SR_PLAN_RADDR1:
		if (ret >= 0)
			off = put_result_addr(a, off, (void *)args[1], (void *)args[2]);
		break;
	case SR_PLAN_RECVMSG:
		if (ret >= 0 && args[1]) {
			/* struct user_msghdr: void *msg_name; int msg_namelen; ... */
			void *name = NULL;

			if (!bpf_probe_read_user(&name, sizeof(name), (void *)args[1]) && name)
				off = put_result_addr(a, off, name, (void *)(args[1] + 8));
		}
		break;
	case SR_PLAN_FDS0:
		if (ret == 0)
			off = put_ubuf(a, off, SR_TAG_FDS, (void *)args[0], 8, 8);
		break;
	case SR_PLAN_FDS3:
		if (ret == 0)
			off = put_ubuf(a, off, SR_TAG_FDS, (void *)args[3], 8, 8);
		break;
	case SR_PLAN_EXEC: {
		__u32 tid = (__u32)pid_tgid;
		struct exec_save *es = bpf_map_lookup_elem(&exec_args, &tid);

		if (es) {
			__u32 len = es->len;

			/* a successful exec reset the registers: use the saved args */
			r->args[0] = es->args[0];
			r->args[1] = es->args[1];
			r->args[2] = es->args[2];
			r->args[3] = es->args[3];
			r->args[4] = es->args[4];
			r->args[5] = es->args[5];
			if (len > EXEC_DATA)
				len = EXEC_DATA;
			if (len && !bpf_probe_read_kernel(&a->b[sizeof(*r)], len, es->data))
				off += len;
			bpf_map_delete_elem(&exec_args, &tid);
			submit_aux(c, a, off, cat);
			return 0;
		}
		break;
	}
	}
	r->args[0] = args[0];
	r->args[1] = args[1];
	r->args[2] = args[2];
	r->args[3] = args[3];
	r->args[4] = args[4];
	r->args[5] = args[5];
	submit_aux(c, a, off, cat);
	return 0;
}

/* ---- exe path, exe flags and cgroups of a task (procexec/procfork) ---- */

/*
 * Scratch space to build a path right to left (the walks go from the leaf
 * up): buf holds the path in its last bytes, tmp one name being read.
 */
#define NAME_CAP 256 /* NAME_MAX + NUL */
struct walk {
	char buf[PATH_MAX_CAP];
	char tmp[NAME_CAP];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walkmap SEC(".maps");

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define SB_RDONLY 1
#define S_IMMUTABLE 8
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define MAY_WRITE 2
#define CAP_DAC_OVERRIDE 1
#define CAP_FOWNER 3

/* Copy a kernel string (at most `NAME_CAP` bytes, NUL included) to a->b[idx]. */
static __always_inline long read_name_at(struct aux *a, __u32 idx, const void *src)
{
	barrier_var(idx);
	if (idx > AUX_SIZE - NAME_CAP)
		return -1;
	barrier_var(idx);
	return bpf_probe_read_kernel_str(&a->b[idx], NAME_CAP, src);
}

/*
 * Prepend "/NAME" (NAME a kernel string) to the path built right to left
 * in w->buf, which starts at *pos; false when it does not fit or the name
 * cannot be read.
 */
static __always_inline bool prepend_name(struct walk *w, __u32 *pos, const void *name)
{
	long k = bpf_probe_read_kernel_str(w->tmp, NAME_CAP, name);
	__u32 p = *pos;

	if (k <= 1 || k > p) /* k counts the NUL: the room for '/' + NAME */
		return false;
	p -= k;
	p &= PATH_MAX_CAP - 1;
	w->buf[p] = '/';
	if (bpf_probe_read_kernel(&w->buf[(p + 1) & (PATH_MAX_CAP - 1)], (k - 1) & (NAME_CAP - 1),
				  w->tmp))
		return false;
	*pos = p;
	return true;
}

/* Start an empty path in w->buf: its NUL is the last byte. */
static __always_inline __u32 path_start(struct walk *w)
{
	w->buf[PATH_MAX_CAP - 1] = 0;
	return PATH_MAX_CAP - 1;
}

/*
 * Copy the path built in w->buf from `pos` (NUL included) to a->b[base];
 * returns its length.
 */
static __always_inline __u32 path_copy(struct aux *a, __u32 base, struct walk *w, __u32 pos)
{
	__u32 len = PATH_MAX_CAP - pos;

	barrier_var(base);
	if (base > HALF + 4 || len == 0 || len > PATH_MAX_CAP)
		return 0;
	barrier_var(len);
	if (bpf_probe_read_kernel(&a->b[base], len & (2 * PATH_MAX_CAP - 1),
				  &w->buf[pos & (PATH_MAX_CAP - 1)]))
		return 0;
	return len;
}

/*
 * Item EXE at `off` in `a`: the path of the kernel file at `file` as d_path()
 * gives it, walking dentries up to each mount's root and mounts up to the
 * root of the mount tree (bpf_d_path is not allowed in tracepoints); the
 * libs drivers do the same. A file with no path (a memfd, whose dentry is
 * its own parent) gives its dentry name alone ("memfd:NAME"), as they do.
 * Returns the offset after the item, or `off` when nothing could be read.
 * A global function: the verifier checks it once, not at every call site.
 */
__noinline int sr_put_file_path(struct aux *a, __u32 off, __u64 file)
{
	__u32 zero = 0, mnt_off = sr_field_offset(((struct mount *)0)->mnt);
	struct walk *w = bpf_map_lookup_elem(&walkmap, &zero);
	struct file *f = (struct file *)file;
	struct dentry *d = NULL, *parent = NULL, *root = NULL;
	const unsigned char *name = NULL;
	struct vfsmount *vm = NULL;
	struct mount *m, *mp = NULL;
	struct sr_item_hdr *h;
	__u32 base, pos, len;
	bool cut = false;
	int i;

	if (!a || !w || !f || off >= HALF)
		return off;
	off &= HALF - 1;
	if (bpf_probe_read_kernel(&d, sizeof(d), &f->f_path.dentry) || !d ||
	    bpf_probe_read_kernel(&vm, sizeof(vm), &f->f_path.mnt) || !vm)
		return off;
	m = (void *)vm - mnt_off;
	pos = path_start(w);
#pragma clang loop unroll(disable)
	for (i = 0; i < 64; i++) {
		if (bpf_probe_read_kernel(&parent, sizeof(parent), &d->d_parent) ||
		    bpf_probe_read_kernel(&root, sizeof(root), &vm->mnt_root))
			break;
		if (d == root || d == parent) {
			if (d != root)
				break; /* not under its mount's root: no path */
			if (bpf_probe_read_kernel(&mp, sizeof(mp), &m->mnt_parent) || mp == m)
				break; /* the root of the mount tree */
			/* continue from where this mount is mounted */
			if (bpf_probe_read_kernel(&d, sizeof(d), &m->mnt_mountpoint))
				break;
			m = mp;
			vm = (void *)m + mnt_off;
			continue;
		}
		if (bpf_probe_read_kernel(&name, sizeof(name), &d->d_name.name) ||
		    !prepend_name(w, &pos, name)) {
			cut = true;
			break;
		}
		d = parent;
	}
	if (i == 64)
		cut = true;
	h = (void *)&a->b[off];
	base = off + 4;
	if (pos == PATH_MAX_CAP - 1) {
		long k;

		if (bpf_probe_read_kernel(&name, sizeof(name), &d->d_name.name) || !name)
			return off;
		k = read_name_at(a, base, name);
		if (k <= 1)
			return off;
		h->tag = SR_TAG_EXE;
		h->flags = 0;
		h->len = k;
		return base + (__u32)k;
	}
	len = path_copy(a, base, w, pos);
	if (!len)
		return off;
	h->tag = SR_TAG_EXE;
	h->flags = cut ? SR_ITEM_TRUNCATED : 0;
	h->len = len;
	return base + len;
}

/* Whether the task's credentials have group `gid` (binary search of the sorted groups). */
static __always_inline bool in_groups(const struct cred *c, __u32 gid)
{
	struct group_info *gi = NULL;
	__u32 lo = 0, hi = 0, mid, g;
	int i;

	if (bpf_probe_read_kernel(&gi, sizeof(gi), &c->group_info) || !gi ||
	    bpf_probe_read_kernel(&hi, sizeof(hi), &gi->ngroups))
		return false;
#pragma clang loop unroll(disable)
	for (i = 0; i < 17 && lo < hi; i++) { /* NGROUPS_MAX = 65536 */
		mid = (lo + hi) / 2;
		/* gi->gid + mid: the flexible array's offset (aya cannot relocate gid[i]) */
		if (bpf_probe_read_kernel(&g, sizeof(g),
					  (void *)gi + sr_field_offset(gi->gid) + (__u64)mid * 4))
			return false;
		if (gid > g)
			lo = mid + 1;
		else if (gid < g)
			hi = mid;
		else
			return true;
	}
	return false;
}

/*
 * Whether the task may write its executable, as the libs drivers estimate
 * it (the kernel's inode_permission() without ACLs or LSMs): not on a
 * read-only superblock nor immutable; the owner; the mode's user/group/
 * other write bit; or CAP_DAC_OVERRIDE / CAP_FOWNER. The drivers also check
 * that the file's ids map into the task's user namespace: here they count
 * as mapped in the initial namespace only.
 */
static __always_inline bool exe_writable(struct task_struct *t, struct inode *ino)
{
	const struct cred *c = t->cred;
	struct user_namespace *ns;
	__u32 fsuid, fsgid, uid, gid, iflags;
	unsigned long sflags;
	unsigned short mode;
	__u64 caps;
	bool mapped;

	if (!ino || !c)
		return false;
	mode = ino->i_mode;
	iflags = ino->i_flags;
	sflags = ino->i_sb->s_flags;
	if ((sflags & SB_RDONLY) && ((mode & S_IFMT) == S_IFREG || (mode & S_IFMT) == S_IFDIR ||
				     (mode & S_IFMT) == S_IFLNK))
		return false;
	if (iflags & S_IMMUTABLE)
		return false;
	uid = ino->i_uid.val;
	gid = ino->i_gid.val;
	if (uid == (__u32)-1 || gid == (__u32)-1)
		return false;
	fsuid = c->fsuid.val;
	fsgid = c->fsgid.val;
	if (fsuid == uid)
		return true;
	if (gid == fsgid || in_groups(c, gid))
		mode >>= 3;
	if (mode & MAY_WRITE)
		return true;
	ns = c->user_ns;
	mapped = ns && ns->level == 0;
	caps = c->cap_effective.val;
	if (mapped && (caps & (1ULL << CAP_DAC_OVERRIDE)))
		return true;
	if (mapped && (caps & (1ULL << CAP_FOWNER)))
		return true;
	return false;
}

/* Item EXE_FLAGS: the SR_EXE_* flags of task `t`'s executable `f`. */
static __always_inline __u32 put_exe_flags(struct aux *a, __u32 off, struct task_struct *t,
					   struct file *f)
{
	struct sr_item_hdr *h;
	struct dentry *d, *parent, *upper = NULL;
	struct inode *di, *ui;
	__u32 flags = 0;
	char name[8] = {};

	if (!f || off >= HALF)
		return off;
	off &= HALF - 1;
	if (exe_writable(t, f->f_inode))
		flags |= SR_EXE_WRITABLE;
	d = f->f_path.dentry;
	if (d && d->d_sb && d->d_sb->s_magic == OVERLAYFS_SUPER_MAGIC) {
		/* struct ovl_inode: the VFS inode, then the upper dentry */
		di = d->d_inode;
		flags |= SR_EXE_LOWER_LAYER;
		if (di && !bpf_probe_read_kernel(&upper, sizeof(upper),
						 (void *)di + sr_type_size(struct inode)) && upper) {
			unsigned long ino = 0;

			ui = NULL;
			if (!bpf_probe_read_kernel(&ui, sizeof(ui), &upper->d_inode) && ui &&
			    !bpf_probe_read_kernel(&ino, sizeof(ino), &ui->i_ino) && ino)
				flags = (flags & ~SR_EXE_LOWER_LAYER) | SR_EXE_UPPER_LAYER;
		}
	}
	/* a memfd's dentry is its own parent and is named "memfd:NAME" */
	parent = d ? d->d_parent : NULL;
	if (d && parent == d && bpf_probe_read_kernel_str(name, 7, d->d_name.name) == 7 &&
	    name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' &&
	    name[5] == ':')
		flags |= SR_EXE_FROM_MEMFD;
	h = (void *)&a->b[off];
	h->tag = SR_TAG_EXE_FLAGS;
	h->flags = 0;
	h->len = 4;
	*(__u32 *)&a->b[off + 4] = flags;
	return off + 8;
}

/*
 * Item CGROUPS: "controller=/path" for each controller of the task's
 * css_set, NUL-separated, as the drivers' `cgroups` parameter (the path of
 * the cgroup in its hierarchy, from its kernfs node up to the root).
 */
#define CGROUPS_CAP 2048
#define CGROUP_DEPTH 32
#define SUBSYS_MAX 16

/*
 * One "controller=/path" entry and its NUL for the css at `css_addr`,
 * written at a->b[base + p]; returns the new p, p when the css cannot be
 * read, or -1 when the entry does not fit in CGROUPS_CAP. A global
 * function, checked once by the verifier (inlined, the loop over the
 * controllers times the path walk is too much for it).
 */
__noinline int sr_put_cgroup(struct aux *a, __u32 base, __u32 p, __u64 css_addr)
{
	struct cgroup_subsys_state *css = (struct cgroup_subsys_state *)css_addr;
	struct cgroup_subsys *ss = NULL;
	struct cgroup *cg = NULL;
	struct kernfs_node *kn = NULL, *up;
	const char *ssname = NULL, *name = NULL;
	__u32 zero = 0, pos, len;
	struct walk *w = bpf_map_lookup_elem(&walkmap, &zero);
	long k;
	int j;

	if (!a || !w || !css || base > HALF + 4 || p >= CGROUPS_CAP)
		return p;
	if (bpf_probe_read_kernel(&ss, sizeof(ss), &css->ss) || !ss ||
	    bpf_probe_read_kernel(&ssname, sizeof(ssname), &ss->name) || !ssname ||
	    bpf_probe_read_kernel(&cg, sizeof(cg), &css->cgroup) || !cg ||
	    bpf_probe_read_kernel(&kn, sizeof(kn), &cg->kn) || !kn)
		return p;
	pos = path_start(w);
#pragma clang loop unroll(disable)
	for (j = 0; j < CGROUP_DEPTH; j++) {
		up = NULL;
		if (sr_field_exists(kn->__parent))
			bpf_probe_read_kernel(&up, sizeof(up), &kn->__parent);
		else
			bpf_probe_read_kernel(&up, sizeof(up), &((struct kernfs_node___old *)kn)->parent);
		if (!up)
			break; /* the hierarchy's root: not part of the path */
		if (bpf_probe_read_kernel(&name, sizeof(name), &kn->name) ||
		    !prepend_name(w, &pos, name))
			return -1;
		kn = up;
	}
	if (j == CGROUP_DEPTH)
		return -1;
	if (pos == PATH_MAX_CAP - 1) { /* the root cgroup */
		pos--;
		w->buf[pos & (PATH_MAX_CAP - 1)] = '/';
	}
	if (p + NAME_CAP + (PATH_MAX_CAP - pos) > CGROUPS_CAP)
		return -1;
	k = read_name_at(a, base + p, ssname);
	if (k <= 1)
		return p;
	p += k - 1;
	p &= CGROUPS_CAP - 1;
	a->b[(base + p) & (AUX_SIZE - 1)] = '=';
	p++;
	len = path_copy(a, base + p, w, pos);
	if (!len)
		return -1;
	return p + len;
}

static __always_inline __u32 put_cgroups(struct aux *a, __u32 off, struct task_struct *t)
{
	__u32 nsub = sr_field_size(((struct css_set *)0)->subsys) / sizeof(void *);
	struct css_set *cs = NULL;
	struct sr_item_hdr *h;
	__u32 base, p = 0;
	bool cut = false;
	int i;

	if (off >= HALF)
		return off;
	off &= HALF - 1;
	if (bpf_probe_read_kernel(&cs, sizeof(cs), &t->cgroups) || !cs)
		return off;
	h = (void *)&a->b[off];
	base = off + 4;
#pragma clang loop unroll(disable)
	for (i = 0; i < SUBSYS_MAX; i++) {
		struct cgroup_subsys_state *css = NULL;
		int q;

		if (i >= nsub)
			break;
		if (bpf_probe_read_kernel(&css, sizeof(css), (void *)cs + sr_field_offset(cs->subsys) +
								   i * sizeof(void *)) ||
		    !css)
			continue;
		q = sr_put_cgroup(a, base, p, (__u64)css);
		if (q < 0) {
			cut = true;
			break;
		}
		p = q & (CGROUPS_CAP - 1);
	}
	if (p == 0)
		return off;
	h->tag = SR_TAG_CGROUPS;
	h->flags = cut ? SR_ITEM_TRUNCATED : 0;
	h->len = p;
	return base + p;
}

/* ---- process lifecycle ---- */

SEC("tp_btf/sched_process_fork")
int sr_proc_fork(unsigned long long *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx[0];
	struct task_struct *child = (struct task_struct *)ctx[1];
	struct sr_cpu_counters *c = get_counters();
	struct sr_record *r;
	struct aux *a;
	__u32 off, ptgid = parent->tgid, ctgid = child->tgid;

	if (follow) {
		bool pf = bpf_map_lookup_elem(&followed, &ptgid) != NULL;

		/* A new thread group below a followed one (or the recorder's
		 * command) is followed before it first runs: the tracepoint fires
		 * before the child is woken up. */
		if (ctgid != ptgid &&
		    ((pf && follow_children) || (follow_self_children && ptgid == self_tgid))) {
			__u8 one = 1;

			if (bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY) && c) {
				/* the map is full: the child's events will be missing; a
				 * drop marker says so */
				c->n_evts++;
				count_drop(c, SR_DROP_CLONE_FORK_EXIT);
			}
		}
		if (ptgid != self_tgid && not_followed(ptgid))
			return 0;
	}
	if (ptgid == self_tgid)
		return 0;
	a = get_aux();
	if (!a)
		return 0;
	r = (void *)a->b;
	fill_hdr(r, ((__u64)parent->tgid << 32) | (__u32)parent->pid, SR_KIND_PROC_FORK, 0);
	r->args[0] = child->pid;
	r->args[1] = child->tgid;
	r->args[2] = 0;
	r->args[3] = 0;
	r->args[4] = 0;
	r->args[5] = 0;
	off = put_comm(a, sizeof(*r), child);
	off = put_creds(a, off, child);
	off = put_cgroups(a, off, child);
	submit_aux(c, a, off, SR_DROP_CLONE_FORK_EXIT);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int sr_proc_exec(unsigned long long *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx[0];
	__u32 old_pid = (__u32)ctx[1];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx[2];
	struct sr_cpu_counters *c = get_counters();
	struct mm_struct *mm;
	struct file *exe;
	__u64 exe_addr;
	struct sr_record *r;
	struct aux *a;
	__u32 off, tid;

	if ((__u32)p->tgid == self_tgid || not_followed(p->tgid))
		return 0;
	tid = p->pid;
	if (old_pid != tid) {
		/* a non-leader thread exec'd and took the leader's pid: move its saved args */
		struct exec_save *es = bpf_map_lookup_elem(&exec_args, &old_pid);

		if (es) {
			bpf_map_update_elem(&exec_args, &tid, es, BPF_ANY);
			bpf_map_delete_elem(&exec_args, &old_pid);
		}
	}
	a = get_aux();
	if (!a)
		return 0;
	r = (void *)a->b;
	fill_hdr(r, ((__u64)p->tgid << 32) | tid, SR_KIND_PROC_EXEC, 0);
	r->args[0] = old_pid;
	r->args[1] = 0;
	r->args[2] = 0;
	r->args[3] = 0;
	r->args[4] = 0;
	r->args[5] = 0;
	mm = p->mm;
	exe = mm ? mm->exe_file : NULL;
	/* the kernel's exe path (what /proc/PID/exe shows), else the name exec'd */
	/* a global function takes scalars: the pointer's value, read as one */
	exe_addr = 0;
	if (mm)
		bpf_probe_read_kernel(&exe_addr, sizeof(exe_addr), &mm->exe_file);
	off = sr_put_file_path(a, sizeof(*r), exe_addr);
	if (off == sizeof(*r))
		off = put_kstr(a, off, SR_TAG_EXE, bprm->filename);
	off = put_comm(a, off, p);
	off = put_creds(a, off, p);
	if (mm) {
		off = put_mm_block(a, off, SR_TAG_ARGV, mm->arg_start, mm->arg_end);
		if (capture_env)
			off = put_mm_block(a, off, SR_TAG_ENV, mm->env_start, mm->env_end);
	}
	off = put_exe_flags(a, off, p, exe);
	off = put_cgroups(a, off, p);
	submit_aux(c, a, off, SR_DROP_EXECVE_EXIT);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int sr_proc_exit(unsigned long long *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx[0];
	struct sr_cpu_counters *c;
	struct sr_record *r;
	void *ring;
	__u32 tid = p->pid, tgid = p->tgid;

	bpf_map_delete_elem(&exec_args, &tid);
	if (tgid == self_tgid || not_followed(tgid))
		return 0;
	/* The last thread of a followed group: the tgid may be reused by
	 * anyone from now on. (`live` is decremented before this tracepoint.) */
	if (follow && p->signal->live.counter == 0)
		bpf_map_delete_elem(&followed, &tgid);
	c = get_counters();
	if (c)
		c->n_evts++;
	stage_flush_now(c);
	ring = get_ring();
	if (!ring) {
		count_drop(c, SR_DROP_PROC_EXIT);
		return 0;
	}
	r = bpf_ringbuf_reserve(ring, sizeof(*r), 0);
	if (!r) {
		count_drop(c, SR_DROP_PROC_EXIT);
		return 0;
	}
	fill_hdr(r, ((__u64)p->tgid << 32) | tid, SR_KIND_PROC_EXIT, 0);
	r->args[0] = (__u32)p->exit_code;
	r->args[1] = p->pid == p->tgid; /* bit 0: thread-group leader */
	r->args[2] = p->real_parent->tgid;
	r->args[3] = 0;
	r->args[4] = 0;
	r->args[5] = 0;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * Run by user space on one CPU (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_RUN_ON_CPU, an IPI) to send that CPU's staged records when it
 * has gone quiet, and once more on every CPU when the recording stops.
 * Never attached. An IPI may land in the middle of an append on that CPU:
 * then the append in progress sends the batch itself soon, so skip.
 */
SEC("raw_tracepoint/sr_flush")
int sr_flush(void *ctx)
{
	struct stage *st = get_stage();

	if (!st || st->busy || !st->n)
		return 0;
	stage_flush(get_counters(), st);
	return 0;
}
