/*
 * fuzz_fault - fault rules (fault.c): what root writes to /sys/fault/rules
 * and the shell's `fault` takes.  Input: lines, each one command (a rule,
 * "-ID" or "clear"); then every rule set is checked against a few calls,
 * and its canonical form must parse again into the same text (fault.h's
 * promise), which catches a formatter that writes what the parser refuses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <micronos/fault.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each "ID RULE fired=N matched=N" line of a's listing, re-added to b. */
static void round_trip(struct mn_faults *a)
{
	struct mn_strbuf one = MN_STRBUF_INIT, two = MN_STRBUF_INIT;
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_faults *b;
	char *line, *save = NULL, *rule, *end;

	if (mn_faults_create(&b, NULL, NULL, NULL, 1) < 0)
		abort();
	mn_faults_format(a, &one);
	for (line = strtok_r(one.buf ? one.buf : (char *)"", "\n", &save);
	     line; line = strtok_r(NULL, "\n", &save)) {
		rule = strchr(line, ' ');
		end = rule ? strstr(rule, " fired=") : NULL;
		if (!rule || !end)
			abort();	/* the listing's own syntax */
		*end = '\0';
		if (mn_faults_add(b, rule + 1, &msg) <= 0) {
			fprintf(stderr, "canonical rule refused: %s: %s\n",
				rule + 1, mn_strbuf_str(&msg));
			abort();
		}
		mn_faults_format(b, &two);
		if (!strstr(mn_strbuf_str(&two), rule + 1)) {
			fprintf(stderr, "rule changed: [%s] -> [%s]\n",
				rule + 1, mn_strbuf_str(&two));
			abort();
		}
		mn_strbuf_reset(&two);
		mn_faults_remove(b, 0);
	}
	mn_faults_destroy(b);
	mn_strbuf_release(&one);
	mn_strbuf_release(&two);
	mn_strbuf_release(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mn_fault_query q[] = {
		{.call = "write", .path = "/tmp/x", .pid = 40, .uid = 1000,
		 .size = 4096},
		{.call = "connect", .pid = 41, .uid = 0},
		{.call = "open", .path = "/etc/passwd", .pid = 0, .uid = -1},
	};
	struct mn_strbuf msg = MN_STRBUF_INIT;
	struct mn_fault_hit hit;
	struct mn_faults *f;
	char *text = malloc(size + 1), *line, *save = NULL;
	size_t i;

	if (!text || mn_faults_create(&f, NULL, NULL, NULL, 7) < 0)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		mn_strbuf_reset(&msg);
		mn_faults_command(f, line, &msg);
	}
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		mn_fault_check(f, &q[i], &hit);
	round_trip(f);
	mn_faults_destroy(f);
	mn_strbuf_release(&msg);
	free(text);
	return 0;
}
