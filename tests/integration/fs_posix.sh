#!/bin/bash
# POSIX exactness of storage (issue 16, item 9): tests/conformance/posix_fs.c
# (pjdfstest's ground: ownership, chown/chgrp, modes and setuid clearing,
# fifo/char/block/socket nodes and a bound unix socket, links, renames,
# times, unlink of open files, errnos) run natively on ext4 and tmpfs as
# the reference, then on storage through the mount as host root, and
# inside micronos-run as MicronOS root (on storage and on MicronOS's /tmp).
# Every run must pass every check; the counts are printed for the record.
. "$(dirname "$0")/run_lib.bash"
need_root

cc -O1 -o "$WORK/posix_fs" "$SRC/tests/conformance/posix_fs.c" || {
	bad "compile posix_fs.c"; finish; exit 1; }

# posix NAME DIR [runner...]: runs the program on DIR, checks "0 failed"
posix() {
	local name=$1 dir=$2 out
	shift 2
	out=$("$@" "$dir" 2>&1)
	echo "$out" | sed 's/^/# /'
	check_grep "$name" "^posix_fs: [0-9]+ checks, 0 failed$" "$out"
}

mkdir -p "$WORK/ext4" && chmod 755 "$WORK/ext4"
if [ "$(stat -f -c %T "$WORK/ext4")" = "ext2/ext3" ]; then
	posix "reference: ext4" "$WORK/ext4" "$WORK/posix_fs"
else
	echo "# $WORK is on $(stat -f -c %T "$WORK"), not ext4"
	posix "reference: $(stat -f -c %T "$WORK")" "$WORK/ext4" \
		"$WORK/posix_fs"
fi
mkdir -p "$WORK/tmpfs"
mount -t tmpfs -o mode=755 tmpfs "$WORK/tmpfs" || bad "mount a tmpfs"
posix "reference: tmpfs" "$WORK/tmpfs" "$WORK/posix_fs"
umount "$WORK/tmpfs"

MNT="$WORK/mnt"
if ! daemon_up px --mount "$MNT"; then
	bad "the instance boots"; finish; exit 1
fi
RUN_ARGS=(-n px)
mkdir -p "$MNT/var/px" && cp "$WORK/posix_fs" "$MNT/var/posix_fs"
posix "storage through the mount, as host root" "$MNT/var/px" \
	timeout -s KILL 120 "$WORK/posix_fs"
run --root mkdir -p /home/px
posix "storage inside micronos-run, as MicronOS root" /home/px \
	run --root /var/posix_fs
posix "MicronOS's /tmp inside micronos-run, as MicronOS root" /tmp \
	run --root /var/posix_fs
daemon_down px
finish
