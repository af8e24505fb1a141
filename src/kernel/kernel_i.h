/*
 * kernel_i.h - the instance struct, shared by kernel.c (boot, stages) and
 * kernel_svc.c (the services stage: timers, health checks).
 */
#ifndef MICRONOS_KERNEL_I_H
#define MICRONOS_KERNEL_I_H

#include <limits.h>
#include <stdint.h>

#include <micronos/clock.h>
#include <micronos/kernel.h>
#include <micronos/runner.h>

#define MAX_HOOKS 4
#define MN_KERNEL_EXIT_HOOKS 8

struct stage {
	struct mn_stage_info info;
	struct mn_stage_hook hooks[MAX_HOOKS];
	unsigned nhooks;
	unsigned hooks_started;	/* hooks whose start returned 0 */
};

struct mn_kernel {
	char name[64];
	char data_dir[PATH_MAX];	/* "" when memory only */
	char runtime_dir[PATH_MAX];
	int deterministic;
	int up;				/* boot finished, not shut down */
	int booted_once;
	struct mn_clock clock;

	struct mn_evbus *bus;
	struct mn_log *log;
	struct mn_stats *stats;
	struct mn_config *config;
	struct mn_proctab *procs;
	struct mn_sched *sched;
	struct mn_signals *signals;
	struct mn_syscalls *syscalls;
	struct mn_timers *timers;
	struct mn_ipc *ipc;
	struct mn_health *health;
	struct mn_mem *mem;		/* from the memory stage on */
	struct mn_drivers *drivers;	/* from the drivers stage on */
	struct mn_faults *faults;
	struct mn_runner runner;

	int32_t timerd, healthd;	/* kernel task pids */
	/* exit handlers of the layers; set before boot, then read-only */
	struct {
		void (*fn)(void *arg, int32_t pid);
		void *arg;
	} exit_hooks[MN_KERNEL_EXIT_HOOKS];
	unsigned nexit_hooks;
	int health_timer;		/* unused: -1 (the watchdog ticks) */
	void *watchdog;			/* kernel_svc.c's health watchdog */
	struct stage stages[MN_STAGE__COUNT];
	void *slots[MN_SLOT__COUNT];
};

int mn__kernel_start_services(struct mn_kernel *k, struct mn_strbuf *err);
void mn__kernel_stop_services(struct mn_kernel *k);

#endif
