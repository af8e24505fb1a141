#!/usr/bin/env bash
# Integration test of the FUSE mount: storage with ordinary tools.  POSIX
# behaviour (create, rename over an existing file, unlink while open, hard
# links and nlink, chmod/chown/touch, truncate, >>, ctime updates,
# permissions of another user), then persistence: a file survives down/up
# and kill -9 of the daemon, whose dead mount the next up cleans.
. "$(dirname "$0")/fs_lib.sh"
fs_need

if ! fs_up; then
	bad "the instance mounts its tree"
	fs_finish
	exit
fi
V="$MNT/var"
user_ids
echo "# MicronOS user 1000 is host $HUID:$HGID on this mount"

echo alpha >"$V/a"
check "create and read back" alpha "$(cat "$V/a")"
echo beta >"$V/b"
exec 3<"$V/b"
mv "$V/a" "$V/b"
check "rename over an existing file" alpha "$(cat "$V/b")"
check "the replaced file stays readable while open" beta "$(cat <&3)"
exec 3<&-
[ ! -e "$V/a" ] && ok "the old name is gone" || bad "the old name stays"

exec 3<"$V/b"
rm "$V/b"
[ ! -e "$V/b" ] && ok "unlink while open removes the name" || bad "name stays"
check "an unlinked open file stays readable" alpha "$(cat <&3)"
exec 3<&-

echo data >"$V/f"
ln "$V/f" "$V/g"
check "hard link: nlink 2" 2 "$(stat -c %h "$V/f")"
check "hard link: same inode" "$(stat -c %i "$V/f")" "$(stat -c %i "$V/g")"
rm "$V/f"
check "nlink 1 after unlink" 1 "$(stat -c %h "$V/g")"

c0=$(stat -c %Z.%z "$V/g")
sleep 1.1
chmod 600 "$V/g"
check "chmod" 600 "$(stat -c %a "$V/g")"
[ "$(stat -c %Z.%z "$V/g")" != "$c0" ] && ok "chmod updates ctime" ||
	bad "ctime unchanged by chmod"
chown "$HUID:$HGID" "$V/g"
check "chown" "$HUID:$HGID" "$(stat -c %u:%g "$V/g")"
touch -d "2001-02-03 04:05:06" "$V/g"
check "touch -d (utimens)" 981173106 "$(TZ=UTC stat -c %Y "$V/g" |
	awk '{print $1}')"
truncate -s 2 "$V/g"
check "truncate" da "$(cat "$V/g")"
: >"$V/g"
echo one >>"$V/g"
echo two >>"$V/g"
check "O_APPEND" "one two" "$(tr '\n' ' ' <"$V/g" | sed 's/ $//')"
mkdir "$V/d" && touch "$V/d/x"
rmdir "$V/d" 2>/dev/null && bad "rmdir of a non-empty dir" ||
	ok "rmdir of a non-empty dir fails"
ln -s g "$V/s"
check "symlink" g "$(readlink "$V/s")"

if command -v setpriv >/dev/null; then
	if as_user sh -c "echo x > '$V/mine'" 2>/dev/null; then
		bad "uid 1000 creates in /var"
	else
		ok "uid 1000 cannot create in /var"
	fi
	as_user sh -c "echo x > '$MNT/home/user/mine'"
	check "uid 1000 creates in its home" 0 $?
	check "its file is its own" "$HUID" "$(stat -c %u "$MNT/home/user/mine")"
	echo r >"$V/rootfile"
	as_user chmod 777 "$V/rootfile" 2>/dev/null
	check "uid 1000 cannot chmod root's file" 1 $?
else
	skip "permissions of another user" "no setpriv"
fi

echo kept >"$MNT/home/user/keep"
sync "$MNT/home/user/keep"
fs_down
is_mounted "$MNT" && bad "no mount left after down" || ok "no mount left after down"
if fs_up; then
	check "a file survives down/up" kept "$(cat "$MNT/home/user/keep")"
else
	bad "up again after down"
fi

echo again >"$MNT/home/user/keep2"
sync "$MNT/home/user/keep2"
fs_kill9
if timeout 5 ls "$MNT" >/dev/null 2>"$FS_TMP/ls.err"; then
	bad "the dead mount answers"
else
	grep -q "not connected" "$FS_TMP/ls.err" &&
		ok "after kill -9 the mount is dead (ENOTCONN)" ||
		bad "after kill -9: $(cat "$FS_TMP/ls.err")"
fi
if fs_up; then
	ok "up after kill -9 cleans the dead mount"
	check "a file survives kill -9" again "$(cat "$MNT/home/user/keep2")"
	check "one mount at the mount point" 1 \
		"$(awk -v d="$MNT" '$5 == d' /proc/self/mountinfo | wc -l)"
else
	bad "up after kill -9"
fi
fs_down
is_mounted "$MNT" && bad "no mount left at the end" || ok "no mount left"
fs_finish
