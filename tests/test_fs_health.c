/*
 * test_fs_health - /health through the VFS path API on a booted kernel:
 * every file readable with the offsets contract, status and one file per
 * component as the monitor formats them, and every file answering while a
 * component's check hangs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/health.h>

#include "fs_trees_test.h"

static int setup(void **state)
{
	*state = tt_boot("healthtest");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	mn_kernel_destroy(*state);
	return 0;
}

static void t_every_file_readable(void **state)
{
	assert_true(tt_walk_check(*state, "/health", NULL) >= 2);
}

static void t_status_and_components(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_health *h = mn_kernel_health(k);
	struct mn_health_info hi[MN_HEALTH_MAX_CHECKS];
	struct tt_names nm = tt_list(k, "/health");
	struct mn_strbuf want = MN_STRBUF_INIT;
	char path[64], *text;
	int n, i;

	n = mn_health_list(h, hi, MN_HEALTH_MAX_CHECKS);
	assert_true(n > 0);
	assert_true(tt_has(&nm, "status"));
	assert_int_equal(nm.n, (size_t)n + 1);
	for (i = 0; i < n; i++) {
		assert_true(tt_has(&nm, hi[i].name));
		snprintf(path, sizeof(path), "/health/%.32s", hi[i].name);
		text = tt_cat(k, path);
		assert_int_equal(strncmp(text, "name: ", 6), 0);
		assert_non_null(strstr(text, "\nstatus: "));
		assert_non_null(strstr(text, "\nrecoveries: "));
		assert_non_null(strstr(text, "\nlast_check: "));
		free(text);
	}
	tt_names_free(&nm);
	text = tt_cat(k, "/health/status");
	assert_int_equal(strncmp(text, "status: ", 8), 0);
	assert_non_null(strstr(text, "\ncomponents: "));
	free(text);
	assert_int_equal(mn_health_format_overall(h, &want), 0);
	assert_int_equal(strncmp(mn_strbuf_str(&want), "status: ", 8), 0);
	mn_strbuf_release(&want);
	assert_int_equal(tt_write(k, &tt_root, "/health/status", "ok\n"),
			 -EACCES);
}

/* A check that hangs until told to return. */
static atomic_int release_check, in_check;

static enum mn_health_status hang(void *arg, char *msg, size_t n)
{
	int i;

	(void)arg;
	atomic_store(&in_check, 1);
	for (i = 0; i < 3000 && !atomic_load(&release_check); i++)
		usleep(10000);	/* at most 30 s, the test's safety net */
	snprintf(msg, n, "finally");
	return MN_HEALTH_OK;
}

static void *run_check(void *arg)
{
	mn_health_check_now(arg, "stuck");
	return NULL;
}

static void t_files_answer_while_a_check_hangs(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_health *h = mn_kernel_health(k);
	struct mn_health_check c = {
		.name = "stuck", .check = hang, .period_ms = 3600000,
		.timeout_ms = 100,
	};
	struct mn_vfs_file *f = NULL;
	struct tt_names nm;
	pthread_t th;
	char *text;
	int i;

	atomic_store(&release_check, 0);
	atomic_store(&in_check, 0);
	assert_int_equal(mn_health_register(h, &c), 0);
	/* the registration made it due: the periodic run may start it too */
	assert_int_equal(pthread_create(&th, NULL, run_check, h), 0);
	for (i = 0; i < 2000 && !atomic_load(&in_check); i++)
		usleep(10000);
	assert_true(atomic_load(&in_check));

	/* every file answers now, while the check is still inside */
	nm = tt_list(k, "/health");
	assert_true(tt_has(&nm, "stuck"));
	tt_names_free(&nm);
	text = tt_cat(k, "/health/stuck");
	assert_int_equal(strncmp(text, "name: stuck\n", 12), 0);
	free(text);
	free(tt_cat(k, "/health/status"));
	tt_walk_check(k, "/health", NULL);
	usleep(200000);		/* past its timeout: reported hung */
	text = tt_cat(k, "/health/stuck");
	assert_non_null(strstr(text, "\nhung: yes\n"));
	assert_non_null(strstr(text, "\nstatus: failed\n"));
	free(text);
	assert_true(atomic_load(&in_check));
	assert_false(atomic_load(&release_check));

	atomic_store(&release_check, 1);
	pthread_join(th, NULL);
	mn_health_unregister(h, "stuck");
	assert_int_equal(mn_vfs_open_path(mn_vfs_of(k), &tt_root, "/",
					  "/health/stuck", O_RDONLY, 0, &f),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_every_file_readable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_status_and_components, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			t_files_answer_while_a_check_hangs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
