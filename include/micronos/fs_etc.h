/*
 * fs_etc - MicronOS's /etc files as text, for roots that are not the tree.
 *
 * The instance's /etc is a synthetic tree (src/fs/fs_etc.c); a throwaway
 * world has no tree, so the sandbox writes the same files into its private
 * /etc from here: one source for both.
 */
#ifndef MICRONOS_FS_ETC_H
#define MICRONOS_FS_ETC_H

#include <stddef.h>

#include <micronos/strbuf.h>

struct mn_kernel;

/*
 * The i-th file of MicronOS's /etc (0, 1, ...): *name gets its name
 * (static), out its text as /etc shows it now.  0, or -ENOENT past the
 * last.
 */
int mn_fs_etc_render(struct mn_kernel *k, size_t i, const char **name,
		     struct mn_strbuf *out);

#endif
