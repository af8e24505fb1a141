/*
 * filter - the seccomp program every sandboxed program runs under.
 *
 * Written as classic BPF by hand, and MicronOS does not link libseccomp
 * (ARCHITECTURE.md, "The seccomp filter").  The program is short (185
 * instructions, 191 with opens trapped) and its order is the policy, read
 * top to bottom in this one file: (1) anything that is not the native x86-64
 * ABI is killed - a foreign arch (i386 `int 0x80`) and x32 (numbers with bit
 * 30 set); run_escape.sh proves both die by SIGSYS.  libseccomp 2.5.4 would
 * kill them too (its bad-arch action, hidden in its pseudo-code export), so
 * this is no reason against it, but neither is there anything it would add:
 * the rows are plain equality tests, and (2) the kernel's per-syscall action
 * cache (Linux 5.11+) can prove every row but clone and ioctl constant, so
 * untrapped calls cost nothing once the cache is warm.
 *
 * Order of checks: arch, x32, the deny table (escape-prone calls fail
 * inside the filter, never reaching the supervisor), argument checks for
 * clone and ioctl, the translated set (SECCOMP_RET_USER_NOTIF, from
 * xlate.c), then ALLOW.  Like OpenBSD's pledge table, each surprising row
 * says why.  Namespaces remain the boundary: this table removes attack
 * surface and calls that would undo the world (new namespaces, mounts).
 */
#include <errno.h>
#include <linux/audit.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox_i.h"

/* Numbers newer than Debian 12's headers. */
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif

#define X32_SYSCALL_BIT 0x40000000u

struct deny_row {
	int nr;
	int err;
};

/*
 * Refused inside the filter.  EPERM is what an unprivileged caller would
 * get; ENOSYS where a caller is expected to fall back (clone3 -> clone).
 */
static const struct deny_row deny_table[] = {
	/* mounts would let root-in-the-namespace reshape its own root */
	{__NR_mount, EPERM},
	{__NR_umount2, EPERM},
	{__NR_pivot_root, EPERM},
	{__NR_fsopen, EPERM},		/* the new mount API, all of it */
	{__NR_fsconfig, EPERM},
	{__NR_fsmount, EPERM},
	{__NR_fspick, EPERM},
	{__NR_move_mount, EPERM},
	{__NR_open_tree, EPERM},
	{__NR_open_tree_attr, EPERM},
	{__NR_mount_setattr, EPERM},
	/* new namespaces: nested user namespaces regain mount powers */
	{__NR_unshare, EPERM},
	{__NR_setns, EPERM},
	/* clone3 takes its flags in memory we cannot inspect: glibc falls
	   back to clone(), whose flags are checked below */
	{__NR_clone3, ENOSYS},
	/* reaching into other processes (the supervisor included) */
	{__NR_ptrace, EPERM},
	{__NR_process_vm_readv, EPERM},
	{__NR_process_vm_writev, EPERM},
	{__NR_pidfd_getfd, EPERM},	/* steals fds like ptrace does */
	{__NR_kcmp, EPERM},		/* probes other processes' files */
	/* kernel attack surface with a history of escapes */
	{__NR_bpf, EPERM},
	{__NR_perf_event_open, EPERM},
	{__NR_userfaultfd, EPERM},	/* stalls the kernel inside copies */
	{__NR_io_uring_setup, EPERM},	/* bypasses this filter entirely */
	{__NR_io_uring_enter, EPERM},
	{__NR_io_uring_register, EPERM},
	{__NR_keyctl, EPERM},		/* keyrings are not namespaced */
	{__NR_add_key, EPERM},
	{__NR_request_key, EPERM},
	{__NR_open_by_handle_at, EPERM},	/* "shocker": opens by inode,
						   ignoring the root */
	{__NR_name_to_handle_at, EPERM},
	/* the host machine itself */
	{__NR_kexec_load, EPERM},
	{__NR_kexec_file_load, EPERM},
	{__NR_init_module, EPERM},
	{__NR_finit_module, EPERM},
	{__NR_delete_module, EPERM},
	{__NR_reboot, EPERM},
	{__NR_swapon, EPERM},
	{__NR_swapoff, EPERM},
	{__NR_acct, EPERM},
	{__NR_quotactl, EPERM},
	{__NR_syslog, EPERM},
	{__NR_iopl, EPERM},
	{__NR_ioperm, EPERM},
	{__NR_settimeofday, EPERM},	/* the time namespace does not */
	{__NR_clock_settime, EPERM},	/* cover CLOCK_REALTIME */
	{__NR_clock_adjtime, EPERM},
	{__NR_adjtimex, EPERM},
	/* the hostname is MicronOS's configuration, not the program's */
	{__NR_sethostname, EPERM},
	{__NR_setdomainname, EPERM},
	/* obsolete interfaces nobody needs */
	{__NR_uselib, ENOSYS},
	{__NR__sysctl, ENOSYS},
	{__NR_lookup_dcookie, ENOSYS},
	{__NR_nfsservctl, ENOSYS},
	{__NR_vhangup, EPERM},
};

/* clone() flags that create namespaces. */
#define CLONE_NS_MASK (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | \
		       CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
		       CLONE_NEWCGROUP)

/* ioctls refused: they push input into the terminal we share. */
static const unsigned int deny_ioctls[] = {
	TIOCSTI,	/* fake keystrokes into the user's shell */
	TIOCLINUX,	/* the console's selection can do the same */
};

#define MAX_INSNS 512

struct bpf_out {
	struct sock_filter *insn;
	size_t n;
	int overflow;
};

static void emit(struct bpf_out *o, struct sock_filter f)
{
	if (o->n < MAX_INSNS)
		o->insn[o->n++] = f;
	else
		o->overflow = 1;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define LD_NR STMT(BPF_LD | BPF_W | BPF_ABS, \
		   offsetof(struct seccomp_data, nr))
#define LD_ARG_LO(i) STMT(BPF_LD | BPF_W | BPF_ABS, \
			  offsetof(struct seccomp_data, args[i]))

/* if (nr == n) return action; */
static void emit_row(struct bpf_out *o, int nr, uint32_t action)
{
	emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
	emit(o, STMT(BPF_RET | BPF_K, action));
}

/*
 * clone: refuse namespace flags (args[0] low word holds them all).  With
 * trap_fork (a run whose fault rules name fork), a clone that makes a
 * process, not a thread, goes to the supervisor, which fails it or lets
 * it continue (faults.c); threads are never trapped.
 */
static void emit_clone(struct bpf_out *o, int trap_fork)
{
	emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0,
		     trap_fork ? 6 : 4));
	emit(o, LD_ARG_LO(0));
	emit(o, JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NS_MASK, 0, 1));
	emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
	if (trap_fork) {
		emit(o, JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1));
		emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
		emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
	} else {
		emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
}

/* ioctl: the command is an unsigned int, so the low word decides. */
static void emit_ioctl(struct bpf_out *o)
{
	size_t i, n = sizeof(deny_ioctls) / sizeof(deny_ioctls[0]);

	emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0,
		     (uint8_t)(2 * n + 2)));
	emit(o, LD_ARG_LO(1));
	for (i = 0; i < n; i++) {
		emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, deny_ioctls[i], 0, 1));
		emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
	}
	emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/*
 * sendto: trapped only when it carries an address (args[4], both words)
 * or asks for TCP Fast Open (args[3], a connect in disguise): send() is
 * sendto without an address, and the data path must stay native.
 * sendmsg and sendmmsg: always for a world on the host's network
 * (SBX_FILTER_SENDS: a datagram's address is in memory, the supervisor
 * sends it from a copy), else only with MSG_FASTOPEN (args[2], args[3]).
 */
static void emit_send(struct bpf_out *o, int nr)
{
	int fl = nr == __NR_sendmsg ? 2 : 3;

	if (nr != __NR_sendto) {
		emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 4));
		emit(o, LD_ARG_LO(fl));
		emit(o, JUMP(BPF_JMP | BPF_JSET | BPF_K, MSG_FASTOPEN, 1, 0));
		emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
		emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
		return;
	}
	emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendto, 0, 8));
	emit(o, LD_ARG_LO(4));
	emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5));
	emit(o, STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, args[4]) + 4));
	emit(o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3));
	emit(o, LD_ARG_LO(3));
	emit(o, JUMP(BPF_JMP | BPF_JSET | BPF_K, MSG_FASTOPEN, 1, 0));
	emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	emit(o, STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
}

/* Opens are trapped only for traced programs (see sbx_filter_build). */
static int is_open_call(int nr)
{
	return nr == __NR_open || nr == __NR_openat || nr == __NR_openat2;
}

/*
 * getrandom is trapped only in a deterministic world, whose bytes come from
 * MicronOS's seeded generator (xlate.c, x_getrandom); elsewhere it stays
 * native, at no cost.
 */
static int is_seeded_call(int nr)
{
	return nr == __NR_getrandom;
}

/* Process creation: trapped only for runs with a fork rule (emit_clone). */
static int is_fork_call(int nr)
{
	return nr == __NR_clone || nr == __NR_fork || nr == __NR_vfork;
}

/* trap: SBX_FILTER_* bits, or -1: nothing trapped (init's own filter) */
static int build(struct sock_fprog *out, int trap)
{
	int trap_fork = trap > 0 && (trap & SBX_FILTER_FORK);
	struct bpf_out o = {calloc(MAX_INSNS, sizeof(struct sock_filter)), 0,
			    0};
	int trapped[128];
	size_t i, ntrapped;

	if (!o.insn)
		return -ENOMEM;
	emit(&o, STMT(BPF_LD | BPF_W | BPF_ABS,
		      offsetof(struct seccomp_data, arch)));
	emit(&o, JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(&o, STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(&o, LD_NR);
	emit(&o, JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1));
	emit(&o, STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	for (i = 0; i < sizeof(deny_table) / sizeof(deny_table[0]); i++)
		emit_row(&o, deny_table[i].nr,
			 SECCOMP_RET_ERRNO | (uint32_t)deny_table[i].err);
	emit_clone(&o, trap_fork);
	emit_ioctl(&o);
	/* emit_clone/emit_ioctl clobber A only on their own branch */
	ntrapped = trap < 0 ? 0 : sbx_xlate_trapped(trapped, 128);
	for (i = 0; i < ntrapped && i < 128; i++) {
		if (trapped[i] == __NR_clone ||	/* emit_clone's */
		    (!trap_fork && is_fork_call(trapped[i])))
			continue;
		if (trapped[i] == __NR_sendto || ((trapped[i] ==
		     __NR_sendmsg || trapped[i] == __NR_sendmmsg) &&
		    !(trap & SBX_FILTER_SENDS)))
			emit_send(&o, trapped[i]);
		else if (((trap & SBX_FILTER_OPENS) ||
			  !is_open_call(trapped[i])) &&
			 ((trap & SBX_FILTER_SEEDED) ||
			  !is_seeded_call(trapped[i])))
			emit_row(&o, trapped[i], SECCOMP_RET_USER_NOTIF);
	}
	emit(&o, STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	if (o.overflow || ntrapped > 128) {
		free(o.insn);
		return -E2BIG;
	}
	out->len = (unsigned short)o.n;
	out->filter = o.insn;
	return 0;
}

int sbx_filter_build(struct sock_fprog *out, int flags)
{
	return build(out, flags & (SBX_FILTER_OPENS | SBX_FILTER_SENDS |
				   SBX_FILTER_SEEDED | SBX_FILTER_FORK));
}

/*
 * init runs its own code only, and nothing would answer a notification
 * for it: the deny rows and argument checks, no trapped row.  Its
 * children stack their own filter on top, whose notifications win.
 */
int sbx_filter_build_init(struct sock_fprog *out)
{
	return build(out, -1);
}

void sbx_filter_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

/*
 * Runs in the program's child just before exec: async-signal-safe.
 *
 * WAIT_KILLABLE_RECV (Linux 5.19): once the supervisor has received a
 * notification the caller waits killably, so a non-fatal signal no longer
 * tears the call away from the supervisor halfway through: the answer the
 * supervisor sends is the answer the program gets, and a call the
 * supervisor is still serving cannot have returned (notify.c relies on
 * this before writing results into the program's memory).  The filter is
 * refused without it: fails closed rather than translate unsafely.
 */
int sbx_filter_install(const struct sock_fprog *prog)
{
	long fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	fd = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER |
		     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, prog);
	return fd < 0 ? -errno : (int)fd;
}
