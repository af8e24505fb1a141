/*
 * ctl_i.h - the control socket server's private definitions, shared by
 * ctl.c (life cycle, accepting, registration) and ctl_conn.c (one client
 * connection: framing, request lines, the built-in verbs).
 *
 * Lock order: ctl->lock, then a client's wlock.  Client threads take wlock
 * alone; nothing else is called with either held.
 */
#ifndef MICRONOS_CTL_I_H
#define MICRONOS_CTL_I_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <micronos/ctl.h>

#define MN_CTL_MAX_INFO 16

struct ctl_conn {
	struct mn_ctl *ctl;
	/* protected by ctl->lock: */
	int fd;			/* -1: slot free */
	int done;		/* the thread ended: join it */
	int owned;		/* a handler owns the fd: no notices */
	pthread_t thread;
	/* serialises writes to fd (responses vs notices) */
	pthread_mutex_t wlock;
	struct ucred cred;	/* set before the thread starts */
};

struct ctl_handler {
	char verb[MN_CTL_VERB_MAX + 1];
	mn_ctl_handler_fn fn;
	void *arg;
};

struct mn_ctl {
	struct mn_kernel *k;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	int wake[2];		/* stop wakes the accept thread */
	int started;
	pthread_t acceptor;
	atomic_int stopping;
	pthread_mutex_t lock;
	/* protected by lock: */
	struct ctl_conn conns[MN_CTL_MAX_CLIENTS];
	struct ctl_handler handlers[MN_CTL_MAX_HANDLERS];
	void (*down_fn)(void *arg);
	void *down_arg;
	struct {
		char *key;
		char *value;
	} info[MN_CTL_MAX_INFO];
	char reason[128];
};

/* The thread of one client connection (ctl_conn.c); p is its ctl_conn. */
void *mn_ctl_conn_main(void *p);
/* Copies the handler registered for verb; 1 if there is one (ctl.c). */
int mn_ctl_find_handler(struct mn_ctl *ctl, const char *verb,
			struct ctl_handler *out);

#endif
