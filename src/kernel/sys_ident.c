/*
 * sys_ident.c - geteuid, getegid, uname, exec and kill as MicronOS syscalls.
 *
 * The rows a translated Linux program needs beyond the base table.  Like
 * sys_proc.c they unpack the context and call the module that does the
 * work: the process table (ids, exec), the configuration (hostname) and
 * the signal service (kill).  Added by mn_sys_ident_install(), which the
 * sandbox calls when it starts; harmless to call twice.  The host name's
 * one setter is here too, next to the uname that reads it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <micronos/clock.h>
#include <micronos/config.h>
#include <micronos/kernel.h>
#include <micronos/log.h>
#include <micronos/proc.h>
#include <micronos/signal.h>
#include <micronos/sys_ident.h>
#include <micronos/syscall.h>

static long get_info(struct mn_sysctx *ctx, struct mn_proc_info *info,
		     const char *call)
{
	if (!ctx->procs)
		return mn_sysctx_fail(ctx, -ENOSYS, "%s: no process table",
				      call);
	if (mn_proc_get(ctx->procs, ctx->pid, info) < 0)
		return mn_sysctx_fail(ctx, -ESRCH, "%s: caller pid %d is not "
				      "in the process table", call,
				      (int)ctx->pid);
	return 0;
}

static long sys_geteuid(struct mn_sysctx *ctx, const uint64_t args[6],
			void *data)
{
	struct mn_proc_info info;
	long e = get_info(ctx, &info, "geteuid");

	(void)args, (void)data;
	return e < 0 ? e : (long)info.euid;
}

static long sys_getegid(struct mn_sysctx *ctx, const uint64_t args[6],
			void *data)
{
	struct mn_proc_info info;
	long e = get_info(ctx, &info, "getegid");

	(void)args, (void)data;
	return e < 0 ? e : (long)info.egid;
}

static long sys_uname(struct mn_sysctx *ctx, const uint64_t args[6],
		      void *data)
{
	struct mn_utsname *u = (struct mn_utsname *)(uintptr_t)args[0];
	struct utsname host;
	struct tm tm;
	time_t boot;
	char host_name[MN_UTS_LEN] = "micronos";

	(void)data;
	if (!u)
		return mn_sysctx_fail(ctx, -EFAULT, "uname: no buffer");
	memset(u, 0, sizeof(*u));
	if (ctx->k)
		mn_config_get_str(mn_kernel_config(ctx->k), "kernel.hostname",
				  host_name, sizeof(host_name));
	boot = ctx->clock ? (time_t)(ctx->clock->boot_real_ns /
				     MN_NSEC_PER_SEC) : time(NULL);
	gmtime_r(&boot, &tm);
	snprintf(u->sysname, MN_UTS_LEN, "MicronOS");
	snprintf(u->nodename, MN_UTS_LEN, "%s", host_name);
	snprintf(u->release, MN_UTS_LEN, "%s", MN_VERSION);
	strftime(u->version, MN_UTS_LEN, "#1 MicronOS %a %b %e %H:%M:%S UTC %Y",
		 &tm);
	if (uname(&host) == 0)
		snprintf(u->machine, MN_UTS_LEN, "%s", host.machine);
	snprintf(u->domainname, MN_UTS_LEN, "(none)");
	return 0;
}

static long sys_exec(struct mn_sysctx *ctx, const uint64_t args[6],
		     void *data)
{
	const char *const *argv = (const char *const *)(uintptr_t)args[0];
	const char *comm = (const char *)(uintptr_t)args[1];
	int e;

	(void)data;
	if (!ctx->procs)
		return mn_sysctx_fail(ctx, -ENOSYS, "exec: no process table");
	e = mn_proc_exec(ctx->procs, ctx->pid, argv, comm);
	if (e < 0)
		return mn_sysctx_fail(ctx, e, "exec: pid %d: %s",
				      (int)ctx->pid, strerror(-e));
	return 0;
}

static long sys_kill(struct mn_sysctx *ctx, const uint64_t args[6],
		     void *data)
{
	struct mn_signals *sigs = data;
	struct mn_cred cred = {ctx->pid, ctx->uid, ctx->gid};
	int32_t pid = (int32_t)args[0];
	int sig = (int)args[1];

	return mn_signals_kill(sigs, ctx->pid ? &cred : NULL, pid, sig);
}

int mn_sys_ident_install(struct mn_syscalls *s, struct mn_signals *sigs)
{
	const struct mn_syscall_desc rows[] = {
		{MN_SYS_GETEUID, "geteuid", {MN_ARG_NONE}, NULL, sys_geteuid,
		 NULL},
		{MN_SYS_GETEGID, "getegid", {MN_ARG_NONE}, NULL, sys_getegid,
		 NULL},
		{MN_SYS_UNAME, "uname", {MN_ARG_PTR}, NULL, sys_uname, NULL},
		{MN_SYS_EXEC, "exec", {MN_ARG_PTR, MN_ARG_PATH}, NULL,
		 sys_exec, NULL},
		{MN_SYS_KILL, "kill", {MN_ARG_PID, MN_ARG_INT}, "the signal "
		 "service", sigs ? sys_kill : NULL, sigs},
	};
	size_t i;
	int e;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		e = mn_syscall_add(s, &rows[i]);
		if (e == -EEXIST && rows[i].handler)
			e = mn_syscall_register(s, rows[i].nr,
						rows[i].handler,
						rows[i].data);
		if (e < 0 && e != -EEXIST && e != -ENOENT)
			return e;
	}
	return 0;
}

int mn_sys_ident_set_hostname(struct mn_kernel *k, const char *name,
			      size_t len, int32_t pid, struct mn_strbuf *err)
{
	struct mn_strbuf why = MN_STRBUF_INIT;
	char buf[MN_UTS_LEN];
	int ret = -EINVAL;

	if (!k || !name)
		return -EINVAL;
	while (len && (name[len - 1] == '\n' || name[len - 1] == ' ' ||
		       name[len - 1] == '\t'))
		len--;
	if (len == 0)
		mn_strbuf_puts(&why, "is empty: a host name is needed");
	else if (len >= sizeof(buf))
		mn_strbuf_printf(&why, "is longer than %d bytes",
				 MN_UTS_LEN - 1);
	if (why.len == 0) {
		memcpy(buf, name, len);
		buf[len] = '\0';
		ret = mn_config_set(mn_kernel_config(k), "kernel.hostname", buf,
				    pid, &why);
	}
	if (ret < 0) {
		mn_log_write(mn_kernel_log(k), MN_LOG_WARNING,
			     "host name refused: %s", mn_strbuf_str(&why));
		if (err)
			mn_strbuf_puts(err, mn_strbuf_str(&why));
	}
	mn_strbuf_release(&why);
	return ret < 0 ? ret : 0;	/* mn_config_set: 1 when it changed */
}
