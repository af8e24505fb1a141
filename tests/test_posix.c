/*
 * test_posix - the errno table: values agree with the host's <errno.h> and
 * strerror(), names round-trip, aliases resolve, unknown codes are handled
 * and the classification holds its documented rows.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <micronos/posix.h>

static void test_required_values(void **state)
{
	(void)state;
	/* The values POSIX and Linux agree on, by name. */
	assert_int_equal(mn_errno_from_name("EPERM"), 1);
	assert_int_equal(mn_errno_from_name("ENOENT"), 2);
	assert_int_equal(mn_errno_from_name("EBADF"), 9);
	assert_int_equal(mn_errno_from_name("ENOMEM"), 12);
	assert_int_equal(mn_errno_from_name("EINVAL"), 22);
	assert_int_equal(mn_errno_from_name("ENOSYS"), 38);
	assert_int_equal(mn_errno_from_name("EHWPOISON"), 133);
	assert_string_equal(mn_errno_name(ENOENT), "ENOENT");
	assert_string_equal(mn_errno_name(-ENOENT), "ENOENT");
	assert_string_equal(mn_errno_message(-ENOENT),
			    "no such file or directory");
}

/* Every code the host knows in 1..133 is in the table, and only those. */
static void test_table_matches_host(void **state)
{
	size_t i, n = mn_errno_count();
	int code, prev = 0;
	const char *name, *msg;

	(void)state;
	assert_int_equal(n, 131);	/* 1..133 minus the holes 41 and 58 */
	for (i = 0; i < n; i++) {
		assert_int_equal(mn_errno_at(i, &code, &name, &msg), 0);
		assert_true(code > prev);	/* code order */
		prev = code;
		assert_non_null(name);
		assert_non_null(msg);
		assert_true(strlen(msg) > 0);
		assert_int_equal(name[0], 'E');
		assert_int_equal(mn_errno_from_name(name), code);
		assert_string_equal(mn_errno_name(code), name);
		assert_string_equal(mn_errno_message(code), msg);
		assert_true(mn_errno_is_known(code));
		/* The host libc agrees that this value is a real error. */
		assert_null(strstr(strerror(code), "Unknown error"));
	}
	assert_int_equal(prev, MN_ERRNO_MAX);
	assert_false(mn_errno_is_known(41));
	assert_false(mn_errno_is_known(58));
	assert_int_equal(mn_errno_at(n, &code, &name, &msg), -ERANGE);
	/* NULL out-parameters are allowed. */
	assert_int_equal(mn_errno_at(0, NULL, NULL, NULL), 0);
}

static void test_aliases(void **state)
{
	(void)state;
	assert_int_equal(mn_errno_from_name("EWOULDBLOCK"), EAGAIN);
	assert_int_equal(mn_errno_from_name("EDEADLOCK"), EDEADLK);
	assert_int_equal(mn_errno_from_name("ENOTSUP"), EOPNOTSUPP);
	assert_string_equal(mn_errno_name(EWOULDBLOCK), "EAGAIN");
	assert_string_equal(mn_errno_name(EDEADLOCK), "EDEADLK");
	assert_string_equal(mn_errno_name(ENOTSUP), "EOPNOTSUPP");
	assert_true(mn_errno_is_retryable(EWOULDBLOCK));
}

static void test_from_name_forms(void **state)
{
	(void)state;
	assert_int_equal(mn_errno_from_name("enoent"), ENOENT);
	assert_int_equal(mn_errno_from_name("EnOeNt"), ENOENT);
	assert_int_equal(mn_errno_from_name("2"), 2);
	assert_int_equal(mn_errno_from_name("-2"), 2);
	assert_int_equal(mn_errno_from_name("133"), 133);
	/* Failures. */
	assert_int_equal(mn_errno_from_name(NULL), -EINVAL);
	assert_int_equal(mn_errno_from_name(""), -EINVAL);
	assert_int_equal(mn_errno_from_name("ENOPE"), -EINVAL);
	assert_int_equal(mn_errno_from_name("ENOENT "), -EINVAL);
	assert_int_equal(mn_errno_from_name("0"), -EINVAL);
	assert_int_equal(mn_errno_from_name("41"), -EINVAL);
	assert_int_equal(mn_errno_from_name("134"), -EINVAL);
	assert_int_equal(mn_errno_from_name("2x"), -EINVAL);
	assert_int_equal(mn_errno_from_name("-"), -EINVAL);
	assert_int_equal(mn_errno_from_name("99999999999999999999"), -EINVAL);
}

static void test_unknown_codes(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(mn_errno_name(0), "OK");
	assert_string_equal(mn_errno_message(0), "success");
	assert_string_equal(mn_errno_name(134), "EUNKNOWN");
	assert_string_equal(mn_errno_name(41), "EUNKNOWN");
	assert_string_equal(mn_errno_name(INT_MIN), "EUNKNOWN");
	assert_string_equal(mn_errno_name(INT_MAX), "EUNKNOWN");
	assert_string_equal(mn_errno_message(999), "unknown error 999");
	assert_string_equal(mn_errno_message(-999), "unknown error 999");
	assert_string_equal(mn_errno_message(INT_MIN),
			    "unknown error 2147483648");
	assert_false(mn_errno_is_retryable(999));
	assert_false(mn_errno_is_fatal(999));
	assert_false(mn_errno_is_retryable(0));
	assert_false(mn_errno_is_fatal(INT_MIN));
	assert_string_equal(mn_errno_describe(-ENOENT, buf, sizeof(buf)),
			    "ENOENT (2): no such file or directory");
	assert_string_equal(mn_errno_describe(500, buf, sizeof(buf)),
			    "EUNKNOWN (500): unknown error 500");
	/* Truncation keeps the buffer terminated. */
	assert_string_equal(mn_errno_describe(ENOENT, buf, 7), "ENOENT");
	buf[0] = 'x';
	mn_errno_describe(ENOENT, buf, 0);
	assert_int_equal(buf[0], 'x');
}

static void *message_thread(void *arg)
{
	(void)arg;
	return (void *)(uintptr_t)(strcmp(mn_errno_message(777),
					  "unknown error 777") == 0);
}

/* The "unknown error N" buffer is per thread. */
static void test_unknown_message_thread_local(void **state)
{
	pthread_t t;
	void *ok;
	const char *mine = mn_errno_message(555);

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, message_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ok), 0);
	assert_true(ok != NULL);
	assert_string_equal(mine, "unknown error 555");
}

static void test_retryable(void **state)
{
	static const int yes[] = {EAGAIN, EWOULDBLOCK, EINTR, EBUSY,
				  ETIMEDOUT, ENOBUFS, EINPROGRESS, EALREADY,
				  ENOMEM, EDEADLK, ENOLCK, ENFILE,
				  ECONNABORTED, ETXTBSY};
	static const int no[] = {EPERM, ENOENT, EINVAL, EACCES, EEXIST,
				 ENOSPC, EMFILE, ENOSYS, EBADF, EFAULT,
				 ECONNREFUSED, EPIPE};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_true(mn_errno_is_retryable(yes[i]));
		assert_true(mn_errno_is_retryable(-yes[i]));
		assert_string_equal(mn_errno_class(yes[i]), "retryable");
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(mn_errno_is_retryable(no[i]));
}

static void test_fatal(void **state)
{
	static const int yes[] = {EFAULT, EIO, ENOSYS, ENOEXEC, EBADF,
				  EBADFD, ENOTSOCK, ENOTRECOVERABLE,
				  EHWPOISON, EUCLEAN, ELIBBAD};
	static const int no[] = {EPERM, ENOENT, EINVAL, EAGAIN, EINTR,
				 ENOSPC, EEXIST, EACCES};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_true(mn_errno_is_fatal(yes[i]));
		assert_true(mn_errno_is_fatal(-yes[i]));
		assert_string_equal(mn_errno_class(yes[i]), "fatal");
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(mn_errno_is_fatal(no[i]));
	assert_string_equal(mn_errno_class(ENOENT), "error");
}

/* The two classes never overlap. */
static void test_classes_disjoint(void **state)
{
	int c;

	(void)state;
	for (c = -200; c <= 200; c++)
		assert_false(mn_errno_is_retryable(c) && mn_errno_is_fatal(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required_values),
		cmocka_unit_test(test_table_matches_host),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_from_name_forms),
		cmocka_unit_test(test_unknown_codes),
		cmocka_unit_test(test_unknown_message_thread_local),
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_fatal),
		cmocka_unit_test(test_classes_disjoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
