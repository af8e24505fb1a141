/*
 * fuzz_shell - the shell's line parser (quotes, escapes, comments, limits)
 * and its completion, which parses a partial line and looks its words up
 * in the command table.  Lines come from people and from the control
 * socket's "sh" verb.  Input: the line's bytes (a NUL ends it early).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/kernel.h>
#include <micronos/shell.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mn_kernel *k;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mn_shell_args args;
	struct mn_kernel_opts o = {.name = "fuzzsh", .deterministic = 1};
	struct mn_strbuf err = MN_STRBUF_INIT, out = MN_STRBUF_INIT;
	char *line = malloc(size + 1);
	int n, i;

	if (!k && mn_kernel_create(&k, &o) < 0)
		abort();
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	n = mn_shell_parse(line, &args, &err);
	if (n > 0) {
		/* every word must be a string inside the buffer */
		if (args.argc != n || args.argv[n] != NULL)
			abort();
		for (i = 0; i < n; i++)
			if (args.argv[i] < args.buf || args.argv[i] >=
			    args.buf + sizeof(args.buf) || !memchr(args.argv[i],
			    '\0', args.buf + sizeof(args.buf) - args.argv[i]))
				abort();
		mn_shell_lookup(args.argc, args.argv);
	}
	mn_shell_complete(k, line, &out);
	mn_strbuf_release(&err);
	mn_strbuf_release(&out);
	free(line);
	return 0;
}
