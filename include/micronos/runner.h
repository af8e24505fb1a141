/*
 * runner - how a service hands work to whoever runs kernel tasks.
 *
 * Timer callbacks and health checks are kernel work that the scheduler runs
 * on behalf of a kernel task (its owner pid), so that suspending that task
 * really stops the work and priorities apply.  The services must not depend
 * on the scheduler, so they take this small struct instead; the kernel fills
 * it with a function that queues the job on the scheduler.  A NULL runner (or
 * a NULL run member) means "call fn directly in the service's own thread",
 * which is what unit tests use.
 */
#ifndef MICRONOS_RUNNER_H
#define MICRONOS_RUNNER_H

#include <stdint.h>

struct mn_runner {
	/*
	 * Arranges for fn(fn_arg) to be called exactly once, later, from any
	 * thread, on behalf of `owner_pid`.  Returns 0 if it took the job,
	 * -errno if not (fn will then never be called by the runner, and the
	 * service runs fn itself, in its own thread, so no work is lost).
	 * A runner that took a job must call it even while shutting down: fn
	 * checks for itself whether its service still wants the work and
	 * releases what it holds either way; a job never called leaks.
	 * Services never call run() with their lock held, so a runner may also
	 * call fn inline before returning.
	 */
	int (*run)(void *runner_arg, int32_t owner_pid, void (*fn)(void *),
		   void *fn_arg);
	void *runner_arg;	/* borrowed; passed to run */
};

#endif
