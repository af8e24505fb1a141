/*
 * netperf - the TCP workloads of bench_net.sh, run natively and inside
 * MicronOS (the same binary, two processes: a server and a client).
 *
 *   netperf tput-server PORT         accepts one connection and reads it
 *                                    to EOF; prints "tput BYTES NS" (NS
 *                                    from the first byte to EOF)
 *   netperf tput-client PORT MS      writes 128 KiB blocks for MS ms
 *   netperf lat-server PORT COUNT    accepts COUNT connections, writes one
 *                                    byte on each and closes it
 *   netperf lat-client PORT COUNT    COUNT times: socket, connect, read
 *                                    the byte, close; prints "lat COUNT
 *                                    MEDIAN_NS P90_NS MEAN_NS"
 *   netperf trap COUNT               COUNT getppid() calls, the cheapest
 *                                    call micronos-run traps (it lets the
 *                                    kernel run it): prints "trap COUNT
 *                                    MEAN_NS", the supervisor's bare
 *                                    round trip on this machine
 *
 * Plain blocking sockets on 127.0.0.1, as a simple server and client use
 * them: every socket, connect and accept is a translated call under
 * micronos-run, while read and write never leave the program.  Clients
 * retry a refused connect for 5 s, so the two may start in any order.
 * Built by bench_net.sh with cc -O2 (no MicronOS library).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (128 * 1024)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void die(const char *what)
{
	fprintf(stderr, "netperf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listener(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(s, 128) < 0)
		die("listen");
	return s;
}

/* A connected socket; refused connects are retried for 5 s. */
static int dial(int port, int retry)
{
	struct sockaddr_in a = loopback(port);
	uint64_t until = now_ns() + 5000000000ULL;

	for (;;) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s < 0)
			die("socket");
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
			return s;
		close(s);
		if (!retry || errno != ECONNREFUSED || now_ns() > until)
			die("connect");
		usleep(10000);
	}
}

static int tput_server(int port)
{
	int l = listener(port), c = accept(l, NULL, NULL);
	char *buf = malloc(BLOCK);
	uint64_t bytes = 0, t0 = 0;
	ssize_t n;

	if (c < 0 || !buf)
		die("accept");
	while ((n = read(c, buf, BLOCK)) > 0) {
		if (!t0)
			t0 = now_ns();
		bytes += (uint64_t)n;
	}
	printf("tput %llu %llu\n", (unsigned long long)bytes,
	       (unsigned long long)(now_ns() - t0));
	free(buf);
	close(c);
	close(l);
	return 0;
}

static int tput_client(int port, int ms)
{
	int s = dial(port, 1);
	char *buf = calloc(1, BLOCK);
	uint64_t until = now_ns() + (uint64_t)ms * 1000000ULL;

	if (!buf)
		die("malloc");
	while (now_ns() < until)
		if (write(s, buf, BLOCK) < 0)
			die("write");
	free(buf);
	close(s);
	return 0;
}

static int lat_server(int port, int count)
{
	int l = listener(port);

	for (int i = 0; i < count; i++) {
		int c = accept(l, NULL, NULL);

		if (c < 0)
			die("accept");
		if (write(c, "x", 1) != 1)
			die("write");
		close(c);
	}
	close(l);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int lat_client(int port, int count)
{
	uint64_t *t = calloc((size_t)count, sizeof(*t)), sum = 0;
	char c;

	if (!t)
		die("malloc");
	close(dial(port, 1));	/* the server is up; not counted */
	for (int i = 0; i < count; i++) {
		uint64_t t0 = now_ns();
		int s = dial(port, 0);

		if (read(s, &c, 1) != 1)
			die("read");
		close(s);
		t[i] = now_ns() - t0;
		sum += t[i];
	}
	qsort(t, (size_t)count, sizeof(*t), cmp);
	printf("lat %d %llu %llu %llu\n", count,
	       (unsigned long long)t[count / 2],
	       (unsigned long long)t[count * 9 / 10],
	       (unsigned long long)(sum / (uint64_t)count));
	free(t);
	return 0;
}

static int trap(int count)
{
	uint64_t t0 = now_ns();

	for (int i = 0; i < count; i++)
		getppid();
	printf("trap %d %llu\n", count,
	       (unsigned long long)((now_ns() - t0) / (uint64_t)count));
	return 0;
}

int main(int argc, char **argv)
{
	int port, n;

	if (argc == 3 && !strcmp(argv[1], "trap") && atoi(argv[2]) > 0)
		return trap(atoi(argv[2]));
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: netperf tput-server|tput-client|"
			"lat-server|lat-client PORT [MS|COUNT]\n"
			"       netperf trap COUNT\n");
		return 2;
	}
	port = atoi(argv[2]);
	n = argc == 4 ? atoi(argv[3]) : 0;
	if (!strcmp(argv[1], "tput-server"))
		return tput_server(port);
	if (!strcmp(argv[1], "tput-client") && n > 0)
		return tput_client(port, n);
	if (!strcmp(argv[1], "lat-server") && n > 0)
		return lat_server(port, n + 1);	/* + the client's probe */
	if (!strcmp(argv[1], "lat-client") && n > 0)
		return lat_client(port, n);
	fprintf(stderr, "netperf: bad arguments\n");
	return 2;
}
