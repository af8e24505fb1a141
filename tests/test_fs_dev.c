/*
 * test_fs_dev - /dev and /etc through a booted kernel, and the file
 * syscalls: the vfs stage (mn_vfs_attach) creates the VFS; device files
 * reach the drivers (zero, null, full, random; a stopped driver fails with
 * ENXIO); the links point into /proc/self/fd; /etc renders from the config
 * and /etc/hostname writes it; open/read/write/lseek/close by number
 * through the dispatcher, with their failure paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <micronos/config.h>
#include <micronos/driver.h>
#include <micronos/kernel.h>
#include <micronos/syscall.h>
#include <micronos/vfs.h>

static const struct mn_vfs_cred root = {0, 0, 1, 0, NULL, 0};

static int setup(void **state)
{
	struct mn_kernel_opts o = {.name = "devtest", .deterministic = 1};
	struct mn_strbuf err = MN_STRBUF_INIT;
	struct mn_kernel *k;

	if (mn_kernel_create(&k, &o) < 0 || mn_vfs_attach(k) < 0)
		return -1;
	if (mn_kernel_boot(k, &err) < 0) {
		fprintf(stderr, "boot: %s\n", mn_strbuf_str(&err));
		mn_strbuf_release(&err);
		return -1;
	}
	mn_strbuf_release(&err);
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	mn_kernel_destroy(*state);
	return 0;
}

static struct mn_vfs_file *open_dev(struct mn_kernel *k, const char *path,
				    int flags)
{
	struct mn_vfs_file *f = NULL;

	assert_int_equal(mn_vfs_open_path(mn_vfs_of(k), &root, "/", path,
					  flags, 0, &f), 0);
	return f;
}

static void t_zero_null_full(void **state)
{
	struct mn_kernel *k = *state;
	static char buf[1 << 20];
	struct mn_vfs_file *f;
	struct stat st;
	size_t i;

	assert_non_null(mn_vfs_of(k));
	memset(buf, 0x55, sizeof(buf));
	f = open_dev(k, "/dev/zero", O_RDWR);
	assert_true(mn_vfs_file_open_flags(f) & MN_VFS_FOPEN_DIRECT_IO);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 0), sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i])
			fail_msg("non-zero byte at %zu", i);
	assert_int_equal(mn_vfs_write(f, "x", 1, 0), 1);
	mn_vfs_release(f);
	f = open_dev(k, "/dev/null", O_RDWR);
	assert_int_equal(mn_vfs_read(f, buf, 10, 0), 0);
	assert_int_equal(mn_vfs_write(f, buf, sizeof(buf), 0), sizeof(buf));
	mn_vfs_release(f);
	f = open_dev(k, "/dev/full", O_WRONLY);
	assert_int_equal(mn_vfs_write(f, "x", 1, 0), -ENOSPC);
	mn_vfs_release(f);
	assert_int_equal(mn_vfs_stat_path(mn_vfs_of(k), &root, "/",
					  "/dev/zero", 0, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);
	assert_int_equal(st.st_size, 0);
}

static void t_random_and_stopped(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_driver *drv;
	struct mn_vfs_file *f;
	char a[64] = {0}, z[64] = {0};

	f = open_dev(k, "/dev/urandom", O_RDONLY);
	assert_int_equal(mn_vfs_read(f, a, sizeof(a), 0), sizeof(a));
	assert_memory_not_equal(a, z, sizeof(a));
	mn_vfs_release(f);
	/* a stopped driver: I/O fails, the file is still there */
	drv = mn_drivers_find(mn_kernel_drivers(k), "random");
	assert_non_null(drv);
	f = open_dev(k, "/dev/random", O_RDONLY);
	assert_int_equal(mn_driver_control(drv, "stop", NULL), 0);
	assert_int_equal(mn_vfs_read(f, a, sizeof(a), 0), -ENXIO);
	assert_int_equal(mn_driver_control(drv, "start", NULL), 0);
	assert_int_equal(mn_vfs_read(f, a, sizeof(a), 0), sizeof(a));
	mn_vfs_release(f);
}

static void t_links(void **state)
{
	struct mn_kernel *k = *state;
	char buf[64];
	ssize_t n;

	n = mn_vfs_readlink_path(mn_vfs_of(k), &root, "/", "/dev/stdout", buf,
				 sizeof(buf));
	assert_int_equal(n, 15);
	assert_memory_equal(buf, "/proc/self/fd/1", 15);
	n = mn_vfs_readlink_path(mn_vfs_of(k), &root, "/", "/dev/fd", buf,
				 sizeof(buf));
	assert_int_equal(n, 13);
	assert_int_equal(mn_vfs_readlink_path(mn_vfs_of(k), &root, "/",
					      "/dev/zero", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(mn_vfs_mkdir_path(mn_vfs_of(k), &root, "/",
					   "/dev/sda", 0755), -EPERM);
}

static void t_etc(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_vfs *vfs = mn_vfs_of(k);
	struct mn_strbuf sb = MN_STRBUF_INIT;
	struct stat st;
	char host[64];

	assert_int_equal(mn_vfs_read_file(vfs, &root, "/", "/etc/passwd",
					  4096, &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "root:x:0:0:"));
	assert_non_null(strstr(mn_strbuf_str(&sb), "user:x:1000:1000:"));
	assert_int_equal(mn_vfs_stat_path(vfs, &root, "/", "/etc/passwd", 0,
					  &st), 0);
	assert_int_equal((size_t)st.st_size, sb.len);	/* SIZED */
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_vfs_read_file(vfs, &root, "/", "/etc/os-release",
					  4096, &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "NAME=\"MicronOS\""));
	assert_non_null(strstr(mn_strbuf_str(&sb), MN_VERSION));
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/etc/hostname",
					   "box7\n", 5, 0), 0);
	assert_true(mn_config_get(mn_kernel_config(k), "kernel.hostname",
				  host, sizeof(host)) > 0);
	assert_string_equal(host, "box7");
	assert_int_equal(mn_vfs_read_file(vfs, &root, "/", "/etc/hosts", 4096,
					  &sb), 0);
	assert_non_null(strstr(mn_strbuf_str(&sb), "box7"));
	mn_strbuf_release(&sb);
	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/etc/hostname",
					   "bad host!\n", 10, 0), -EINVAL);
	assert_int_equal(mn_vfs_write_file(vfs, &root, "/", "/etc/passwd",
					   "x", 1, 0), -EACCES);
	/* the standard tree */
	assert_int_equal(mn_vfs_stat_path(vfs, &root, "/", "/home/user", 0,
					  &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(mn_vfs_stat_path(vfs, &root, "/", "/tmp", 0, &st), 0);
	assert_int_equal(st.st_mode & 07777, 01777);
}

static long sys(struct mn_kernel *k, struct mn_sysctx *ctx, uint32_t nr,
		uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t args[6] = {a0, a1, a2, 0, 0, 0};

	return mn_syscall_dispatch(mn_kernel_syscalls(k), ctx, nr, args);
}

static void t_syscalls(void **state)
{
	struct mn_kernel *k = *state;
	struct mn_sysctx ctx;
	char buf[32] = {0};
	long fd, fd2;

	mn_sysctx_init(&ctx, k, 1, 0, 0);
	fd = sys(k, &ctx, MN_SYS_OPEN, (uintptr_t)"/tmp/sc",
		 O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(sys(k, &ctx, MN_SYS_WRITE, (uint64_t)fd,
			     (uintptr_t)"hello world", 11), 11);
	assert_int_equal(sys(k, &ctx, MN_SYS_LSEEK, (uint64_t)fd, 6,
			     SEEK_SET), 6);
	assert_int_equal(sys(k, &ctx, MN_SYS_READ, (uint64_t)fd,
			     (uintptr_t)buf, sizeof(buf)), 5);
	assert_string_equal(buf, "world");
	assert_int_equal(sys(k, &ctx, MN_SYS_LSEEK, (uint64_t)fd,
			     (uint64_t)-2, SEEK_END), 9);
	assert_int_equal(sys(k, &ctx, MN_SYS_LSEEK, (uint64_t)fd,
			     (uint64_t)-100, SEEK_CUR), -EINVAL);
	assert_int_equal(sys(k, &ctx, MN_SYS_LSEEK, (uint64_t)fd, 0, 99),
			 -EINVAL);
	/* a second descriptor is the lowest free one */
	fd2 = sys(k, &ctx, MN_SYS_OPEN, (uintptr_t)"/dev/zero", O_RDONLY, 0);
	assert_int_equal(fd2, fd + 1);
	assert_int_equal(sys(k, &ctx, MN_SYS_WRITE, (uint64_t)fd2,
			     (uintptr_t)"x", 1), -EBADF);
	assert_int_equal(sys(k, &ctx, MN_SYS_CLOSE, (uint64_t)fd2, 0, 0), 0);
	assert_int_equal(sys(k, &ctx, MN_SYS_CLOSE, (uint64_t)fd, 0, 0), 0);
	assert_int_equal(sys(k, &ctx, MN_SYS_CLOSE, (uint64_t)fd, 0, 0),
			 -EBADF);
	assert_int_equal(sys(k, &ctx, MN_SYS_READ, 12345, (uintptr_t)buf, 1),
			 -EBADF);
	assert_int_equal(sys(k, &ctx, MN_SYS_OPEN, (uintptr_t)"/nope/x",
			     O_RDONLY, 0), -ENOENT);
	assert_non_null(strstr(ctx.msg, "/nope/x"));
	assert_int_equal(sys(k, &ctx, MN_SYS_OPEN, 0, O_RDONLY, 0), -EFAULT);
	/* an unprivileged caller is refused where it should be */
	mn_sysctx_init(&ctx, k, 1, 1000, 1000);
	assert_int_equal(sys(k, &ctx, MN_SYS_OPEN, (uintptr_t)"/root/x",
			     O_CREAT | O_WRONLY, 0644), -EACCES);
	/* descriptors follow the process: fork shares, exit closes */
	fd = sys(k, &ctx, MN_SYS_OPEN, (uintptr_t)"/etc/passwd", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(mn_vfs_proc_fork(k, 1, 77), 0);
	mn_vfs_proc_exit(k, 1);
	mn_sysctx_init(&ctx, k, 77, 1000, 1000);
	assert_int_equal(sys(k, &ctx, MN_SYS_READ, (uint64_t)fd,
			     (uintptr_t)buf, 4), 4);
	assert_memory_equal(buf, "root", 4);
	mn_vfs_proc_exit(k, 77);
	assert_int_equal(sys(k, &ctx, MN_SYS_READ, (uint64_t)fd,
			     (uintptr_t)buf, 4), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_zero_null_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_random_and_stopped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(t_links, setup, teardown),
		cmocka_unit_test_setup_teardown(t_etc, setup, teardown),
		cmocka_unit_test_setup_teardown(t_syscalls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
