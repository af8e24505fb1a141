/*
 * fuzz_ctl - the control socket's protocol, both directions, with bytes
 * nobody vetted: a client's request lines (and the "run" verb's frames,
 * runwire.c) as the daemon reads them from its socket, and a daemon's
 * reply frames as micronos and micronos-run read them.
 *
 * The first byte picks the reader; the rest is the stream.  The daemon
 * side is a real server (mn_ctl_*) on a booted kernel with the VFS, its
 * trees and the shell; each input is one connection that hangs up after
 * writing, and the reply is drained for at most 200 ms (a command that
 * waits longer - `sleep` - is cut there, as a client's hang-up would).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <micronos/ctl.h>
#include <micronos/kernel.h>
#include <micronos/vfs.h>

#include "fs_trees_i.h"
#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mn_kernel *k;
static char path[108];

static void boot(void)
{
	struct mn_kernel_opts o = {.name = "fuzzctl", .deterministic = 1};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_ctl *ctl;

	snprintf(path, sizeof(path), "/tmp/mn-fuzz-ctl.%d.sock", getpid());
	unlink(path);
	if (mn_kernel_create(&k, &o) < 0 || mn_vfs_attach(k) < 0 ||
	    mn_fs_trees_attach(k) < 0 || mn_kernel_boot(k, &err) < 0 ||
	    mn_ctl_create(&ctl, k, path) < 0 || mn_ctl_start(ctl) < 0) {
		fprintf(stderr, "fuzz_ctl: boot: %s\n", mn_strbuf_str(&err));
		abort();
	}
	mn_strbuf_release(&err);
}

/* One connection to the daemon: data, hang-up, the reply drained. */
static void to_daemon(const uint8_t *data, size_t size)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct pollfd p = {.events = POLLIN};
	char buf[4096];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		abort();	/* the server must always take a client */
	if (size && send(fd, data, size, MSG_NOSIGNAL) < 0 && errno != EPIPE &&
	    errno != ECONNRESET)
		abort();
	shutdown(fd, SHUT_WR);
	p.fd = fd;
	while (poll(&p, 1, 200) == 1 && read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* The stream as a reply to a client (micronos's reader). */
static void to_client(const uint8_t *data, size_t size)
{
	struct mn_run_frame f = {.data = MN_STRBUF_INIT};
	struct mn_run_reader rd;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size > 65536)
		size = 65536;	/* the socket buffer: no reader runs yet */
	if (size && write(sv[1], data, size) < 0)
		abort();
	close(sv[1]);
	mn_run_reader_init(&rd, sv[0]);
	while (mn_run_read_frame(&rd, &f, 1 << 20, 0) == 0)
		;
	mn_strbuf_release(&f.data);
	close(sv[0]);
}

/* The "run" verb's request payload (key=value items). */
static void run_request(const uint8_t *data, size_t size)
{
	struct mn_run_request r;
	struct mn_strbuf err = MN_STRBUF_INIT;

	memset(&r, 0, sizeof(r));
	mn_run_request_decode(&r, (const char *)data, size, &err);
	mn_run_request_release(&r);
	mn_strbuf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!k)
		boot();
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		to_daemon(data + 1, size - 1);
		break;
	case 1:
		to_client(data + 1, size - 1);
		break;
	default:
		run_request(data + 1, size - 1);
		break;
	}
	return 0;
}
