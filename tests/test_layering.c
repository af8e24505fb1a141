/*
 * test_layering - the folders of the source depend on each other in one
 * direction only (ARCHITECTURE.md, "Folders").
 *
 * Two rules, checked on every #include of src/, include/, fusefs/ and
 * sandbox/ (tests/ and bench/ reach inside on purpose and are not checked):
 *
 * 1. The core depends on libc and pthreads only: no file of src/ (but the
 *    programs in src/cmd) or include/ includes a FUSE or seccomp header
 *    (STYLE.md habit 1).
 * 2. A header belongs to a folder: a private "X_i.h" to the folder that
 *    holds it, a public <micronos/M.h> to the folder that holds M.c (a few
 *    headers without an M.c are named in a table).  A file may include the
 *    headers of its own folder and of the folders the table `layers` lets
 *    it depend on, nothing else.  Programs and adapters may include every
 *    public header, and of the core's private headers only src/lib's.
 *
 * The scanners take the tree's top as an argument, so the last tests plant
 * small trees with wrong-direction includes and check they are caught.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static const char *const forbidden[] = {"fuse", "seccomp"};

/*
 * Who may include whom.  `pub`: folders whose public headers (and, for a
 * core folder, private ones) a file of `dir` may include; `priv`, when
 * set, narrows the private headers for the outer folders.  A folder's
 * own headers are always allowed.  The core's line, leaves first:
 *
 *   lib <- kernel <- vfs <- net <- fs      shell <- ctl
 *
 * fs depends on net only for net_fs.h: the /proc and /sys trees hold the
 * network's rows.  shell sits on kernel, vfs and net; ctl runs shell lines.
 */
struct layer {
	const char *dir;	/* relative to the top */
	const char *name;	/* its name in the lists */
	const char *pub;
	const char *priv;	/* NULL: as pub */
};

#define CORE "lib kernel vfs net fs shell ctl"

static const struct layer layers[] = {
	{"src/lib", "lib", "", NULL},
	{"src/kernel", "kernel", "lib", NULL},
	{"src/vfs", "vfs", "lib kernel", NULL},
	{"src/net", "net", "lib kernel vfs", NULL},
	{"src/fs", "fs", "lib kernel vfs net", NULL},
	{"src/shell", "shell", "lib kernel vfs net fs", NULL},
	{"src/ctl", "ctl", "lib kernel shell", NULL},
	{"src/cmd", "cmd", CORE " fusefs sandbox", "lib fusefs sandbox"},
	{"fusefs", "fusefs", CORE, "lib"},
	{"sandbox", "sandbox", CORE, "lib"},
};
#define NLAYERS (sizeof(layers) / sizeof(layers[0]))

/* Public headers with no M.c of their name: the folder that owns them. */
static const struct {
	const char *header;
	const char *layer;
} header_owner[] = {
	{"kstats.h", "kernel"},	/* stats.c */
	{"memview.h", "kernel"},	/* mem_view.c */
	{"net_fs.h", "net"},	/* net_proc.c, net_sysfs.c */
	{"pview.h", "fs"},	/* fs_proc_view.c */
	{"runner.h", "kernel"},	/* filled by kernel.c for timer and health */
	{"tcp.h", "net"},	/* net_tcp.c */
};

static int exists(const char *top, const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s", top, dir, name);
	return stat(path, &st) == 0;
}

/* Whether word is in the blank-separated list. */
static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/* The layer of a public header, or NULL (printed: a header nobody owns). */
static const struct layer *public_owner(const char *top, const char *hdr)
{
	char c_name[256];
	size_t i, n = strlen(hdr);

	if (n < 3 || n > 200 || strcmp(hdr + n - 2, ".h") != 0)
		return NULL;
	snprintf(c_name, sizeof(c_name), "%.*s.c", (int)(n - 2), hdr);
	for (i = 0; i < NLAYERS; i++)
		if (strncmp(layers[i].dir, "src/", 4) == 0 &&
		    exists(top, layers[i].dir, c_name))
			return &layers[i];
	for (i = 0; i < sizeof(header_owner) / sizeof(header_owner[0]); i++) {
		size_t j;

		if (strcmp(header_owner[i].header, hdr) != 0)
			continue;
		for (j = 0; j < NLAYERS; j++)
			if (strcmp(layers[j].name, header_owner[i].layer) == 0)
				return &layers[j];
	}
	return NULL;
}

/* The layer holding a quoted header: the includer's own first. */
static const struct layer *quoted_owner(const char *top,
					const struct layer *self,
					const char *hdr)
{
	size_t i;

	if (self && exists(top, self->dir, hdr))
		return self;
	for (i = 0; i < NLAYERS; i++)
		if (exists(top, layers[i].dir, hdr))
			return &layers[i];
	return NULL;
}

/*
 * Checks one #include line (after "include") of a file of layer self
 * (NULL: include/micronos, whose header is `self_hdr`).  Returns 1 and
 * prints when it breaks a rule.
 */
static int check_include(const char *top, const char *path,
			 const struct layer *self, const char *self_hdr,
			 const char *spec)
{
	const struct layer *owner = NULL;
	char hdr[256];
	const char *list;
	int quoted = spec[0] == '"';
	size_t n;

	if (quoted) {
		n = strcspn(spec + 1, "\"");
		snprintf(hdr, sizeof(hdr), "%.*s", (int)n, spec + 1);
		owner = quoted_owner(top, self, hdr);
		if (!owner)
			return 0;	/* a generated or system header */
	} else if (strncmp(spec, "<micronos/", 10) == 0) {
		n = strcspn(spec + 10, ">");
		snprintf(hdr, sizeof(hdr), "%.*s", (int)n, spec + 10);
		owner = public_owner(top, hdr);
		if (!owner) {
			fprintf(stderr, "%s: <micronos/%s> belongs to no "
				"folder (add it to header_owner)\n", path, hdr);
			return 1;
		}
	} else {
		return 0;
	}
	if (!self) {
		self = public_owner(top, self_hdr);
		if (!self) {
			fprintf(stderr, "%s belongs to no folder\n", path);
			return 1;
		}
	}
	if (owner == self)
		return 0;
	list = quoted && self->priv ? self->priv : self->pub;
	if (in_list(list, owner->name))
		return 0;
	fprintf(stderr, "%s: %s may not include %s %s of %s "
		"(ARCHITECTURE.md, \"Folders\")\n", path, self->name,
		quoted ? "private" : "public", hdr, owner->name);
	return 1;
}

/* Returns the number of offending lines in one file, printing each. */
static int scan_file(const char *top, const char *path,
		     const struct layer *self, const char *self_hdr,
		     int core)
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
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		for (i = 0; core && i < sizeof(forbidden) /
				sizeof(forbidden[0]); i++) {
			if (strstr(p, forbidden[i])) {
				fprintf(stderr, "%s: forbidden include: %s",
					path, line);
				bad++;
			}
		}
		if (top)
			bad += check_include(top, path, self, self_hdr, p);
	}
	fclose(f);
	return bad;
}

/* Scans the .c and .h files of top/dir (not below). */
static int scan_dir(const char *top, const char *dir,
		    const struct layer *self, int core, int *files)
{
	char path[4096];
	struct dirent *de;
	int bad = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", top, dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 3 || de->d_name[n - 2] != '.' ||
		    (de->d_name[n - 1] != 'c' && de->d_name[n - 1] != 'h'))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", top, dir, de->d_name);
		(*files)++;
		bad += scan_file(top, path, self, de->d_name, core);
	}
	closedir(d);
	return bad;
}

/* Every layer and include/micronos under top: the offending lines. */
static int scan_tree(const char *top, int *files)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < NLAYERS; i++) {
		int core = strncmp(layers[i].dir, "src/", 4) == 0 &&
			strcmp(layers[i].name, "cmd") != 0;

		bad += scan_dir(top, layers[i].dir, &layers[i], core, files);
	}
	bad += scan_dir(top, "include/micronos", NULL, 1, files);
	return bad;
}

static void tree_follows_the_folders(void **state)
{
	const char *top = getenv("MN_SOURCE_DIR");
	int files = 0;

	(void)state;
	assert_non_null(top);
	assert_int_equal(scan_tree(top, &files), 0);
	/* every folder was found: the scan did not pass on an empty tree */
	assert_true(files > 100);
}

/* Every folder of src/ is in the table: a new one must be placed. */
static void every_src_folder_is_a_layer(void **state)
{
	const char *top = getenv("MN_SOURCE_DIR");
	char path[4096];
	struct dirent *de;
	int seen = 0;
	DIR *d;

	(void)state;
	assert_non_null(top);
	snprintf(path, sizeof(path), "%s/src", top);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char dir[300];
		size_t i;
		int found = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "src/%s", de->d_name);
		for (i = 0; i < NLAYERS; i++)
			found |= strcmp(layers[i].dir, dir) == 0;
		if (!found)
			fprintf(stderr, "%s is not in test_layering's table\n",
				dir);
		assert_true(found);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, 8);
}

/* --- planted trees -------------------------------------------------------- */

struct planted {
	char top[64];
};

static void plant(const struct planted *p, const char *rel, const char *text)
{
	char path[4096], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", p->top, rel);
	for (slash = strchr(path + strlen(p->top) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int planted_setup(void **state)
{
	struct planted *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	snprintf(p->top, sizeof(p->top), "/tmp/mn-layering-XXXXXX");
	if (!mkdtemp(p->top)) {
		free(p);
		return -1;
	}
	/* a minimal tree: a module per folder, each with its headers */
	plant(p, "src/lib/strbuf.c", "#include <micronos/strbuf.h>\n");
	plant(p, "src/lib/texttable_i.h", "#include <micronos/strbuf.h>\n");
	plant(p, "src/kernel/kernel.c", "#include <micronos/kernel.h>\n"
	      "#include \"texttable_i.h\"\n#include \"kernel_i.h\"\n");
	plant(p, "src/kernel/kernel_i.h", "\n");
	plant(p, "src/vfs/vfs.c", "#include <micronos/kernel.h>\n");
	plant(p, "src/vfs/vfs_i.h", "#include <micronos/vfs.h>\n");
	plant(p, "src/fs/fs_proc.c", "#include \"vfs_i.h\"\n"
	      "#include <micronos/net_fs.h>\n");
	plant(p, "src/net/net.c", "#include <micronos/vfs.h>\n");
	plant(p, "src/shell/shell.c", "#include <micronos/net.h>\n");
	plant(p, "src/ctl/ctl.c", "#include <micronos/shell.h>\n");
	plant(p, "src/cmd/micronos.c", "#include <micronos/ctl.h>\n"
	      "#include \"texttable_i.h\"\n#include \"fusefs.h\"\n");
	plant(p, "fusefs/fusefs.h", "#include <micronos/vfs.h>\n");
	plant(p, "sandbox/sandbox.c", "#include <micronos/shell.h>\n"
	      "#include <seccomp.h>\n");
	plant(p, "include/micronos/net_fs.h", "#include <micronos/vfs.h>\n");
	plant(p, "include/micronos/vfs.h", "#include <micronos/strbuf.h>\n");
	*state = p;
	return 0;
}

static int planted_teardown(void **state)
{
	struct planted *p = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->top);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", p->top);
	free(p);
	return 0;
}

static void planted_right_directions_pass(void **state)
{
	struct planted *p = *state;
	int files = 0;

	assert_int_equal(scan_tree(p->top, &files), 0);
	assert_int_equal(files, 15);
}

static void planted_private_header_upward_fails(void **state)
{
	struct planted *p = *state;
	int files = 0;

	/* the kernel reaching up into the VFS's private header */
	plant(p, "src/kernel/proc.c", "#include \"vfs_i.h\"\n");
	assert_int_equal(scan_tree(p->top, &files), 1);
}

static void planted_public_header_upward_fails(void **state)
{
	struct planted *p = *state;
	int files = 0;

	/* the VFS calling the shell; net calling the file systems' rows */
	plant(p, "src/vfs/vfs_path.c", "#include <micronos/shell.h>\n");
	plant(p, "src/net/net_proc.c", "#include \"vfs_i.h\"\n"
	      "#  include \"fs_trees_i.h\"\n");
	plant(p, "src/fs/fs_trees_i.h", "\n");
	assert_int_equal(scan_tree(p->top, &files), 2);
}

static void planted_program_private_header_fails(void **state)
{
	struct planted *p = *state;
	int files = 0;

	/* a program reading the shell's insides (was cmd_micronos_client.c) */
	plant(p, "src/shell/shell_i.h", "\n");
	plant(p, "src/cmd/cmd_micronos_client.c", "#include \"shell_i.h\"\n");
	assert_int_equal(scan_tree(p->top, &files), 1);
}

static void planted_header_without_owner_fails(void **state)
{
	struct planted *p = *state;
	int files = 0;

	plant(p, "src/shell/shell_fs.c", "#include <micronos/nowhere.h>\n");
	assert_int_equal(scan_tree(p->top, &files), 1);
}

static void planted_adapter_header_in_core_fails(void **state)
{
	struct planted *p = *state;
	int files = 0;

	plant(p, "src/fs/fs_dev.c", "#  include <fuse_lowlevel.h>\n"
	      "#include \"seccomp.h\"\n");
	assert_int_equal(scan_tree(p->top, &files), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tree_follows_the_folders),
		cmocka_unit_test(every_src_folder_is_a_layer),
		cmocka_unit_test_setup_teardown(planted_right_directions_pass,
			planted_setup, planted_teardown),
		cmocka_unit_test_setup_teardown(
			planted_private_header_upward_fails,
			planted_setup, planted_teardown),
		cmocka_unit_test_setup_teardown(
			planted_public_header_upward_fails,
			planted_setup, planted_teardown),
		cmocka_unit_test_setup_teardown(
			planted_program_private_header_fails,
			planted_setup, planted_teardown),
		cmocka_unit_test_setup_teardown(
			planted_header_without_owner_fails,
			planted_setup, planted_teardown),
		cmocka_unit_test_setup_teardown(
			planted_adapter_header_in_core_fails,
			planted_setup, planted_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
