/*
 * test_layering - the core depends on libc and pthreads only.
 *
 * Fails if any file under src/ or include/ includes a FUSE or seccomp header
 * (STYLE.md habit 1).  The programs in src/cmd/ are adapters' users, not
 * core, and are skipped.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

static const char *const forbidden[] = {"fuse", "seccomp"};

/* Returns the number of offending lines in one file, printing each. */
static int scan_file(const char *path)
{
	char line[1024];
	int bad = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		size_t i;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '#')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "include", 7) != 0)
			continue;
		for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
			if (strstr(p, forbidden[i])) {
				fprintf(stderr, "%s: forbidden include: %s",
					path, line);
				bad++;
			}
		}
	}
	fclose(f);
	return bad;
}

static int scan_dir(const char *dir, int *files)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	int bad = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "cmd") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			bad += scan_dir(path, files);
		} else {
			(*files)++;
			bad += scan_file(path);
		}
	}
	closedir(d);
	return bad;
}

static void core_includes_no_adapter_headers(void **state)
{
	const char *top = getenv("MN_SOURCE_DIR");
	char path[4096];
	int files = 0, bad = 0;

	(void)state;
	assert_non_null(top);
	snprintf(path, sizeof(path), "%s/src", top);
	bad += scan_dir(path, &files);
	snprintf(path, sizeof(path), "%s/include", top);
	bad += scan_dir(path, &files);
	assert_true(files > 0);
	assert_int_equal(bad, 0);
}

static void scanner_finds_a_forbidden_include(void **state)
{
	char tmpl[] = "/tmp/mn-layering-XXXXXX";
	int fd = mkstemp(tmpl);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("/* ok */\n#include <stdio.h>\n#  include <fuse_lowlevel.h>\n"
	      "#include \"seccomp.h\"\n",
	      f);
	fclose(f);
	assert_int_equal(scan_file(tmpl), 2);
	remove(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(core_includes_no_adapter_headers),
		cmocka_unit_test(scanner_finds_a_forbidden_include),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
