/*
 * test_fs_tmp - tmp, the in-memory file system: the shared POSIX checks
 * (vfs_posix_checks.h) plus what only tmp has: its data cap (ENOSPC, and
 * nothing lost when a write is refused), memory given back on unlink, and
 * socket nodes (unix sockets bind to them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "vfs_posix_checks.h"

static int setup_cap(void **state, uint64_t cap)
{
	struct mn_vfs_opts o = {.tmp_max_bytes = cap};
	struct mn_vfs **vfs = calloc(1, sizeof(*vfs));

	if (!vfs || mn_vfs_create(vfs, &o) < 0)
		return -1;
	if (mn_vfs_mkdir_path(*vfs, &pc_root, "/", "/t", 0755) < 0)
		return -1;
	*state = vfs;
	return 0;
}

static int setup(void **state)
{
	return setup_cap(state, 0);
}

static int setup_small(void **state)
{
	return setup_cap(state, 64 * 1024);
}

static int teardown(void **state)
{
	struct mn_vfs **vfs = *state;

	mn_vfs_destroy(*vfs);
	free(vfs);
	return 0;
}

static void t_enospc(void **state)
{
	struct mn_vfs *vfs = *(struct mn_vfs **)*state;
	static char big[100 * 1024];
	struct mn_vfs_file *f;
	struct statvfs sv;

	assert_int_equal(mn_vfs_write_file(vfs, &pc_root, "/", "/t/big", big,
					   sizeof(big), 0644), -ENOSPC);
	pc_write(vfs, &pc_root, "/t/keep", "kept");
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/keep",
					  O_WRONLY, 0, &f), 0);
	assert_int_equal(mn_vfs_write(f, big, sizeof(big), 4), -ENOSPC);
	mn_vfs_release(f);
	pc_expect(vfs, &pc_root, "/t/keep", "kept");
	/* space comes back after unlink */
	assert_int_equal(mn_vfs_statfs(vfs, &pc_root, MN_VFS_ROOT_INO, &sv), 0);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_root, "/", "/t/big"), 0);
	assert_int_equal(mn_vfs_write_file(vfs, &pc_root, "/", "/t/fits", big,
					   32 * 1024, 0644), 0);
}

static void t_sizes(void **state)
{
	struct mn_vfs *vfs = *(struct mn_vfs **)*state;
	static char data[300000];
	struct mn_strbuf sb = MN_STRBUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	assert_int_equal(mn_vfs_write_file(vfs, &pc_root, "/", "/t/d", data,
					   sizeof(data), 0600), 0);
	assert_int_equal(mn_vfs_read_file(vfs, &pc_root, "/", "/t/d",
					  1 << 20, &sb), 0);
	assert_int_equal(sb.len, sizeof(data));
	assert_memory_equal(sb.buf, data, sizeof(data));
	mn_strbuf_reset(&sb);
	assert_int_equal(mn_vfs_read_file(vfs, &pc_root, "/", "/t/d", 1000,
					  &sb), -EFBIG);
	mn_strbuf_release(&sb);
}

/* ftruncate through the open file f to size. */
static void trunc_to(struct mn_vfs *vfs, struct mn_vfs_file *f, off_t size)
{
	struct stat st = {.st_size = size};

	assert_int_equal(mn_vfs_setattr(vfs, &pc_root, mn_vfs_file_ino(f), &st,
					MN_SETATTR_SIZE, f, NULL), 0);
}

/*
 * Sparse files, under a 64 KiB cap: a write at 4 GiB takes one page, the
 * hole reads as zeros, a truncate gives pages back and a truncated tail
 * reads as zeros when the file grows again.
 */
static void t_sparse(void **state)
{
	struct mn_vfs *vfs = *(struct mn_vfs **)*state;
	const off_t far = 4LL << 30;
	char buf[8192], zero[8192] = {0};
	struct mn_vfs_file *f;
	struct stat st;

	pc_write(vfs, &pc_root, "/t/s", "");
	assert_int_equal(mn_vfs_open_path(vfs, &pc_root, "/", "/t/s", O_RDWR,
					  0, &f), 0);
	assert_int_equal(mn_vfs_write(f, "hello", 5, far), 5);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/s", 0, &st),
			 0);
	assert_int_equal(st.st_size, far + 5);
	assert_int_equal(st.st_blocks, 8);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), far - 4096), 4101);
	assert_memory_equal(buf, zero, 4096);
	assert_memory_equal(buf + 4096, "hello", 5);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 12345), sizeof(buf));
	assert_memory_equal(buf, zero, sizeof(buf));
	/* a write across a page boundary, in the middle of the hole */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(mn_vfs_write(f, buf, 6000, 1LL << 20), 6000);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/s", 0, &st),
			 0);
	assert_int_equal(st.st_blocks, 3 * 8);
	/* truncate: the far page goes, the tail of the kept one is zeroed */
	trunc_to(vfs, f, (1LL << 20) + 10);
	trunc_to(vfs, f, (1LL << 20) + 20);
	assert_int_equal(mn_vfs_read(f, buf, sizeof(buf), 1LL << 20), 20);
	assert_memory_equal(buf, "xxxxxxxxxx", 10);
	assert_memory_equal(buf + 10, zero, 10);
	assert_int_equal(mn_vfs_stat_path(vfs, &pc_root, "/", "/t/s", 0, &st),
			 0);
	assert_int_equal(st.st_blocks, 8);
	/* the cap counts pages: 16 fit, the 17th does not */
	trunc_to(vfs, f, 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(mn_vfs_write(f, buf, 1, (off_t)i << 30), 1);
	assert_int_equal(mn_vfs_write(f, buf, 1, 16LL << 30), -ENOSPC);
	assert_int_equal(mn_vfs_write(f, buf, 1, 15LL << 30), 1);
	mn_vfs_release(f);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_root, "/", "/t/s"), 0);
}

/*
 * A unix socket binds to the node mknod made: mknod S_IFSOCK works, and
 * the name leads back to the same node (same id, same type) for as long
 * as it is named.  Devices stay refused: tmp keeps no device numbers.
 */
static void t_socket_node(void **state)
{
	struct mn_vfs *vfs = *(struct mn_vfs **)*state;
	struct mn_vfs_entry t, s, again;
	struct stat st;

	assert_int_equal(mn_vfs_lookup(vfs, &pc_root, MN_VFS_ROOT_INO, "t", &t),
			 0);
	assert_int_equal(mn_vfs_mknod(vfs, &pc_root, t.ino, "sock",
				      S_IFSOCK | 0755, 0, &s), 0);
	assert_true(S_ISSOCK(s.attr.st_mode));
	assert_int_equal(mn_vfs_lookup(vfs, &pc_root, t.ino, "sock", &again),
			 0);
	assert_int_equal(again.ino, s.ino);
	assert_int_equal(mn_vfs_getattr(vfs, &pc_root, s.ino, &st, NULL), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(mn_vfs_mknod(vfs, &pc_root, t.ino, "sock",
				      S_IFSOCK | 0755, 0, &again), -EEXIST);
	assert_int_equal(mn_vfs_mknod(vfs, &pc_root, t.ino, "chr",
				      S_IFCHR | 0600, 0x0103, &again), -EPERM);
	assert_int_equal(mn_vfs_unlink_path(vfs, &pc_root, "/", "/t/sock"), 0);
	mn_vfs_forget(vfs, s.ino, 2);
	mn_vfs_forget(vfs, t.ino, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PC_TESTS(setup, teardown),
		cmocka_unit_test_setup_teardown(t_enospc, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(t_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(t_socket_node, setup, teardown),
		cmocka_unit_test_setup_teardown(t_sparse, setup_small, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
