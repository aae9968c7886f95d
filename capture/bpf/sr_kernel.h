/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few kernel types the sysreplay probe touches, declared by hand for
 * CO-RE: every struct carries preserve_access_index, so field offsets are
 * relocated against the running kernel's BTF at load time. Only the fields
 * used are listed; their order and the struct sizes here do not matter.
 */
#ifndef SR_KERNEL_H
#define SR_KERNEL_H

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

#define SR_HAVE_KERNEL_TYPES 1

/* uapi constants used (values are ABI, stable). */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_RINGBUF = 27,
};
#define BPF_ANY 0
#define BPF_RB_NO_WAKEUP 1
#define BPF_F_NO_PREALLOC 1

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

typedef struct {
	unsigned int val;
} kuid_t;
typedef struct {
	unsigned int val;
} kgid_t;
typedef struct {
	__u64 val;
} kernel_cap_t;

struct user_namespace {
	int level; /* 0: the initial user namespace */
};

struct group_info {
	int ngroups;
	kgid_t gid[];
};

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
	struct user_namespace *user_ns;
	struct group_info *group_info;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
};

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	struct tty_driver *driver;
	int index;
};

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	struct tty_struct *tty;
	atomic_t live; /* threads of the group not yet exiting (0: the group is dead) */
};

struct mm_struct {
	unsigned long arg_start, arg_end, env_start, env_end;
	struct file *exe_file;
};

struct thread_info {
	__u32 status;
};

/* Paths of files (the exe's path, its flags): the d_path walk. */
struct super_block {
	unsigned long s_magic;
	unsigned long s_flags;
};

struct inode {
	unsigned short i_mode;
	unsigned int i_flags;
	kuid_t i_uid;
	kgid_t i_gid;
	unsigned long i_ino;
	struct super_block *i_sb;
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

/* The path from a task's fd to its socket's local address; the exe file. */
struct file {
	void *private_data; /* struct socket * for a socket file */
	struct path f_path;
	struct inode *f_inode;
};

/* A task's cgroups: css_set -> per-controller css -> cgroup -> kernfs node. */
struct kernfs_node {
	const char *name;
	struct kernfs_node *__parent; /* 6.15+ */
};

struct kernfs_node___old {
	struct kernfs_node___old *parent; /* before 6.15 */
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys {
	const char *name;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys *ss;
};

struct css_set {
	struct cgroup_subsys_state *subsys[1]; /* CGROUP_SUBSYS_COUNT: its size relocates */
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
};

struct sock_common {
	unsigned short skc_family;
	struct in6_addr skc_v6_rcv_saddr; /* only with CONFIG_IPV6 */
};

struct sock {
	struct sock_common __sk_common;
};

struct inet_sock {
	struct sock sk;
	__be32 inet_saddr; /* local IPv4 address the socket sends from */
	__be16 inet_sport; /* local port, network order */
};

struct socket {
	struct sock *sk;
};

struct task_struct {
	struct thread_info thread_info;
	struct files_struct *files;
	int pid;
	int tgid;
	int exit_code;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	const struct cred *real_cred;
	const struct cred *cred;
	struct css_set *cgroups;
	struct mm_struct *mm;
	struct signal_struct *signal;
	kuid_t loginuid;
	char comm[16];
};

struct linux_binprm {
	const char *filename;
};

#pragma clang attribute pop

/* Classic tracepoint context of syscalls/sys_enter_* (tracefs format, ABI). */
struct sr_sys_enter_ctx {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	unsigned long args[6];
};

/* The BPF helpers used (numbers are uapi, stable). */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_get_current_comm)(void *buf, __u32 size_of_buf) = (void *)16;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)112;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static long (*bpf_probe_read_user_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)114;
static long (*bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)115;
static __u64 (*bpf_ktime_get_boot_ns)(void) = (void *)125;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)130;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)158;

/* BTF map definition helpers (same encoding libbpf and aya expect). */
#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))
/* Make the verifier see the checked register (clang may reuse an older copy). */
#define barrier_var(x) asm volatile("" : "+r"(x))
#define barrier() asm volatile("" ::: "memory")
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* 2 = BPF_FIELD_EXISTS */
#define sr_field_exists(field) __builtin_preserve_field_info(field, 2)
/* 0 = BPF_FIELD_BYTE_OFFSET, 1 = BPF_FIELD_BYTE_SIZE */
#define sr_field_offset(field) __builtin_preserve_field_info(field, 0)
#define sr_field_size(field) __builtin_preserve_field_info(field, 1)
/* 1 = BPF_TYPE_SIZE: the running kernel's size of a type */
#define sr_type_size(type) __builtin_preserve_type_info(*(type *)0, 1)

#endif /* SR_KERNEL_H */
