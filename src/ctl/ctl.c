/*
 * ctl.c - the control socket server: life cycle, accepting and the
 * registration of handlers (protocol in include/micronos/ctl.h; one
 * connection is served by ctl_conn.c).
 *
 * One accept thread and one thread per client.  The accept thread checks
 * the peer's credentials before a client gets a slot, so a stranger never
 * costs a thread.
 *
 * Stopping: mn_ctl_stop() wakes the accept thread through a pipe, writes a
 * "!" notice to every shell client (under the client's write mutex, so it
 * never lands inside a response), shuts every socket down so blocked reads
 * return at once, wakes shell commands that wait (channel recv), and joins.
 * A command running at that moment finishes, its reply fails with EPIPE,
 * and the thread leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <micronos/shell.h>

#include "ctl_i.h"

static const char *const builtin_verbs[] = {"sh", "complete", "info", "down"};

/* --------------------------------------------------------------------- */
/* Accepting */

static int peer_allowed(const struct ucred *cr)
{
	return cr->uid == 0 || cr->uid == geteuid();
}

/*
 * Joins finished client threads; called with ctl->lock held.  A finished
 * thread has left mn_ctl_conn_main's last critical section, so the join
 * is short.
 */
static void reap_locked(struct mn_ctl *ctl)
{
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &ctl->conns[i];

		if (c->done) {
			pthread_join(c->thread, NULL);
			c->done = 0;
		}
	}
}

static void refuse(int fd, const char *msg)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "e %zu\n%s\nx 1 0\n",
			 strlen(msg) + 1, msg);

	/* Best effort: the peer may not be reading. */
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;
	close(fd);
}

static void admit(struct mn_ctl *ctl, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct ctl_conn *slot = NULL;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    !peer_allowed(&cr)) {
		refuse(fd, "permission denied: this instance belongs to "
			   "another user");
		return;
	}
	pthread_mutex_lock(&ctl->lock);
	reap_locked(ctl);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS && !slot; i++)
		if (ctl->conns[i].fd < 0)
			slot = &ctl->conns[i];
	if (slot) {
		slot->fd = fd;
		slot->cred = cr;
		slot->owned = 0;
		if (pthread_create(&slot->thread, NULL, mn_ctl_conn_main,
				   slot)) {
			slot->fd = -1;
			slot = NULL;
		}
	}
	pthread_mutex_unlock(&ctl->lock);
	if (!slot)
		refuse(fd, "too many clients attached to this instance");
}

static void *accept_main(void *p)
{
	struct mn_ctl *ctl = p;

	while (!atomic_load(&ctl->stopping)) {
		struct pollfd pf[2] = {{ctl->lfd, POLLIN, 0},
				       {ctl->wake[0], POLLIN, 0}};
		int fd;

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		fd = accept4(ctl->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* EMFILE and friends: back off instead of spinning */
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				poll(NULL, 0, 100);
			continue;
		}
		admit(ctl, fd);
	}
	return NULL;
}

/* --------------------------------------------------------------------- */
/* Life cycle */

int mn_ctl_create(struct mn_ctl **out, struct mn_kernel *k, const char *path)
{
	struct mn_ctl *ctl;

	if (!k || !path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(ctl->path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->k = k;
	strcpy(ctl->path, path);
	ctl->lfd = -1;
	ctl->wake[0] = ctl->wake[1] = -1;
	pthread_mutex_init(&ctl->lock, NULL);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		ctl->conns[i].ctl = ctl;
		ctl->conns[i].fd = -1;
		pthread_mutex_init(&ctl->conns[i].wlock, NULL);
	}
	*out = ctl;
	return 0;
}

static int bind_socket(struct mn_ctl *ctl)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, ret = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, ctl->path);
	/* The caller holds the instance lock: a socket file left here
	 * belongs to a dead instance. */
	unlink(ctl->path);
	old = umask(0177);	/* never a moment with a wider mode */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		ret = -errno;
	umask(old);
	if (!ret && chmod(ctl->path, 0600) < 0)
		ret = -errno;
	if (!ret && listen(fd, 16) < 0)
		ret = -errno;
	if (ret) {
		close(fd);
		return ret;
	}
	ctl->lfd = fd;
	return 0;
}

int mn_ctl_start(struct mn_ctl *ctl)
{
	int ret;

	if (ctl->started)
		return -EALREADY;
	ret = bind_socket(ctl);
	if (ret)
		return ret;
	if (pipe2(ctl->wake, O_CLOEXEC) < 0) {
		ret = -errno;
		goto unbind;
	}
	ret = -pthread_create(&ctl->acceptor, NULL, accept_main, ctl);
	if (ret)
		goto unpipe;
	ctl->started = 1;
	return 0;
unpipe:
	close(ctl->wake[0]);
	close(ctl->wake[1]);
	ctl->wake[0] = ctl->wake[1] = -1;
unbind:
	close(ctl->lfd);
	ctl->lfd = -1;
	unlink(ctl->path);
	return ret;
}

/* Tells every client the instance is going and cuts its connection. */
static void hang_up_all(struct mn_ctl *ctl)
{
	char notice[160];
	int n = snprintf(notice, sizeof(notice), "! %s\n", ctl->reason);

	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &ctl->conns[i];

		if (c->fd < 0)
			continue;
		if (!c->owned) {
			pthread_mutex_lock(&c->wlock);
			/* Never block on a client that does not read. */
			if (send(c->fd, notice, (size_t)n,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;
			pthread_mutex_unlock(&c->wlock);
		}
		shutdown(c->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&ctl->lock);
}

void mn_ctl_stop(struct mn_ctl *ctl, const char *reason)
{
	if (!ctl || !ctl->started || atomic_exchange(&ctl->stopping, 1))
		return;
	snprintf(ctl->reason, sizeof(ctl->reason), "%s",
		 reason ? reason : "the instance is shutting down");
	if (write(ctl->wake[1], "x", 1) < 0)
		(void)0;
	pthread_join(ctl->acceptor, NULL);
	close(ctl->lfd);
	ctl->lfd = -1;
	unlink(ctl->path);
	hang_up_all(ctl);
	/* A shell waiting for a message would hold its thread (and us). */
	mn_shell_interrupt(ctl->k);
	/* Client threads end on their own now; the slots are not reused. */
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++) {
		struct ctl_conn *c = &ctl->conns[i];
		int live;

		pthread_mutex_lock(&ctl->lock);
		live = c->fd >= 0 || c->done;
		pthread_mutex_unlock(&ctl->lock);
		if (live)
			pthread_join(c->thread, NULL);
		c->done = 0;
	}
	close(ctl->wake[0]);
	close(ctl->wake[1]);
	ctl->wake[0] = ctl->wake[1] = -1;
}

void mn_ctl_destroy(struct mn_ctl *ctl)
{
	if (!ctl)
		return;
	mn_ctl_stop(ctl, NULL);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++)
		pthread_mutex_destroy(&ctl->conns[i].wlock);
	for (int i = 0; i < MN_CTL_MAX_INFO; i++) {
		free(ctl->info[i].key);
		free(ctl->info[i].value);
	}
	pthread_mutex_destroy(&ctl->lock);
	free(ctl);
}

int mn_ctl_stopping(struct mn_ctl *ctl)
{
	return atomic_load(&ctl->stopping);
}

int mn_ctl_clients(struct mn_ctl *ctl)
{
	int n = 0;

	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_CLIENTS; i++)
		n += ctl->conns[i].fd >= 0;
	pthread_mutex_unlock(&ctl->lock);
	return n;
}

/* --------------------------------------------------------------------- */
/* Registration */

int mn_ctl_find_handler(struct mn_ctl *ctl, const char *verb,
			struct ctl_handler *out)
{
	int found = 0;

	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_HANDLERS; i++) {
		if (ctl->handlers[i].fn &&
		    !strcmp(ctl->handlers[i].verb, verb)) {
			*out = ctl->handlers[i];
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&ctl->lock);
	return found;
}

static int verb_ok(const char *verb)
{
	size_t n = strlen(verb);

	if (n == 0 || n > MN_CTL_VERB_MAX)
		return 0;
	return strspn(verb, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int mn_ctl_set_handler(struct mn_ctl *ctl, const char *verb,
		       mn_ctl_handler_fn fn, void *arg)
{
	struct ctl_handler *free_slot = NULL;
	int ret = -ENOSPC;

	if (!verb || !verb_ok(verb))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(builtin_verbs) / sizeof(*builtin_verbs);
	     i++)
		if (!strcmp(verb, builtin_verbs[i]))
			return -EEXIST;
	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_HANDLERS; i++) {
		struct ctl_handler *h = &ctl->handlers[i];

		if (h->fn && !strcmp(h->verb, verb)) {
			free_slot = h;
			break;
		}
		if (!h->fn && !free_slot)
			free_slot = h;
	}
	if (free_slot) {
		strcpy(free_slot->verb, verb);
		free_slot->fn = fn;
		free_slot->arg = fn ? arg : NULL;
		ret = 0;
	} else if (!fn) {
		ret = 0;
	}
	pthread_mutex_unlock(&ctl->lock);
	return ret;
}

void mn_ctl_set_down(struct mn_ctl *ctl, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&ctl->lock);
	ctl->down_fn = fn;
	ctl->down_arg = arg;
	pthread_mutex_unlock(&ctl->lock);
}

int mn_ctl_set_info(struct mn_ctl *ctl, const char *key, const char *value)
{
	int ret = -ENOSPC, slot = -1;
	char *k2, *v2;

	if (!key || !*key || strpbrk(key, "=\n") || !value ||
	    strchr(value, '\n'))
		return -EINVAL;
	k2 = strdup(key);
	v2 = strdup(value);
	if (!k2 || !v2) {
		free(k2);
		free(v2);
		return -ENOMEM;
	}
	pthread_mutex_lock(&ctl->lock);
	for (int i = 0; i < MN_CTL_MAX_INFO; i++) {
		if (ctl->info[i].key && !strcmp(ctl->info[i].key, key)) {
			slot = i;
			break;
		}
		if (!ctl->info[i].key && slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		free(ctl->info[slot].key);
		free(ctl->info[slot].value);
		ctl->info[slot].key = k2;
		ctl->info[slot].value = v2;
		k2 = v2 = NULL;
		ret = 0;
	}
	pthread_mutex_unlock(&ctl->lock);
	free(k2);
	free(v2);
	return ret;
}
