#!/bin/bash
# Storage hardening (issue 16, items 1, 3 and 8), with real daemons:
#  - an old data dir (real modes, a setuid-root copy of id, a host symlink)
#    is migrated on first boot: backing files private, MicronOS's view kept;
#  - root inside plants a setuid-root binary: no host user can run it from
#    the data dir (0700, backing files 0600, never setuid);
#  - a host user who creates a file through the mount keeps it (one id
#    rule: host ids below 200000 show as themselves on the host);
#  - 25,000 files from one program leave the daemon's descriptors bounded,
#    other runs working and health saying so;
#  - symlinks planted at /home and /.micronos are not followed by the next
#    boot: nothing is created at their targets, and runs work.
. "$(dirname "$0")/run_lib.bash"
need_root

MNT="$WORK/mnt"
DATA="$MICRONOS_DATA_ROOT/hd"
RUN_ARGS=(-n hd)
host_user() { setpriv --reuid 1000 --regid 1000 --clear-groups "$@"; }

# --- an old data dir, as a version before this one left it ---------------
mkdir -p "$DATA/storage/home/pub" "$DATA/storage/var"
chmod 755 "$DATA" "$DATA/storage" "$DATA/storage/home" \
	"$DATA/storage/home/pub"
cp /usr/bin/id "$DATA/storage/home/pub/old"
chmod 4755 "$DATA/storage/home/pub/old"
ln -s old "$DATA/storage/home/pub/link"
mkfifo -m 644 "$DATA/storage/var/fifo"
# the FUSE view of migrated files: regular (perhaps empty) backing files
kind() { [ -f "$1" ] && [ ! -L "$1" ] && echo regular; }
if ! daemon_up hd --mount "$MNT"; then
	bad "the instance boots on an old data dir"; finish; exit 1
fi
check "migration: the data dir is private" 700 "$(stat -c %a "$DATA")"
check "migration: storage is private" 700 "$(stat -c %a "$DATA/storage")"
check "migration: the setuid file's backing file is 0600, the daemon's" \
	"600 0 regular file" \
	"$(stat -c '%a %u %F' "$DATA/storage/home/pub/old")"
check "migration: a host symlink became a regular file" "regular file" \
	"$(stat -c %F "$DATA/storage/home/pub/link")"
check "migration: a host fifo became a regular file" regular \
	"$(kind "$DATA/storage/var/fifo")"
check "migration: MicronOS still sees the setuid file" "4755 200000" \
	"$(stat -c '%a %u' "$MNT/home/pub/old")"
check "migration: ... the symlink" "old" "$(readlink "$MNT/home/pub/link")"
check "migration: ... the fifo" "fifo 644" \
	"$(stat -c '%F %a' "$MNT/var/fifo")"
check "migration: the file's data is kept" "$(md5sum </usr/bin/id)" \
	"$(md5sum <"$MNT/home/pub/old")"

# --- item 1: a setuid-root binary planted from inside --------------------
run --root sh -c 'mkdir -p /home/pub2; chmod 755 /home/pub2;
	cp /usr/bin/id /home/pub2/s; chmod 4755 /home/pub2/s'
check "inside, the planted file is setuid root" "4755 0" \
	"$(run stat -c '%a %u' /home/pub2/s)"
check "its backing file is neither setuid nor another's" "600 0" \
	"$(stat -c '%a %u' "$DATA/storage/home/pub2/s")"
out=$(host_user "$DATA/storage/home/pub2/s" 2>&1)
check_grep "a host user cannot run it from the data dir" \
	"Permission denied" "$out"
host_user test -x "$MNT/home/pub2/s" && out=$(host_user "$MNT/home/pub2/s")
check_grep "through the (nosuid) mount it runs as the caller" \
	"^uid=1000" "$out"

# --- the id rule: a host user keeps what it creates -----------------------
if host_user sh -c "echo mine >'$MNT/var/tmp/h' && chmod 600 '$MNT/var/tmp/h'"
then ok "a host user creates and chmods a file through the mount"
else bad "a host user creates a file through the mount"; fi
check "it shows as its own on the host" "1000 1000 600" \
	"$(stat -c '%u %g %a' "$MNT/var/tmp/h")"
check "it can still read it" mine "$(host_user cat "$MNT/var/tmp/h")"
check "inside, a host user's file is nobody's" 65534 \
	"$(run stat -c %u /var/tmp/h)"
check "MicronOS user 1000 is host 201000 on the mount" 201000 \
	"$(stat -c %u "$MNT/home/user")"
check "host root's files are host root's" 0 \
	"$(touch "$MNT/var/tmp/r" && stat -c %u "$MNT/var/tmp/r")"

# --- item 3: descriptors bounded ------------------------------------------
pid=$(cat "$MICRONOS_RUNTIME_ROOT/hd/pid")
before=$(ls "/proc/$pid/fd" | wc -l)
run sh -c 'mkdir -p /home/user/many && cd /home/user/many &&
	seq 25000 | xargs touch && ls | wc -l' >"$WORK/many.out" 2>&1
check "one program creates 25,000 files" 25000 "$(tail -1 "$WORK/many.out")"
after=$(ls "/proc/$pid/fd" | wc -l)
echo "# daemon descriptors: $before before, $after after"
[ "$after" -lt $((before + 4200)) ] &&
	ok "the daemon's descriptors stay bounded ($before -> $after)" ||
	bad "the daemon holds $after descriptors (was $before)"
check "another run works after it" 1000 "$(run id -u)"
check "... and sees the world's /usr" yes \
	"$(run sh -c 'test -x /usr/bin/id && echo yes')"
health=$(cat "$MNT/health/storage")
echo "$health" | sed 's/^/# /'
check_grep "health reports the descriptors" "descriptors in use" "$health"
check_grep "... and says ok" "^status: ok" "$health"

# --- item 8: planted symlinks are not followed by the next boot -----------
run --root sh -c "rm -rf /home/pub /home/pub2 /home/user &&
	mv /home /home.old && ln -s $WORK/evil-home /home"
rm -rf "$MNT/.micronos" && ln -s "$WORK/evil-mn" "$MNT/.micronos"
check "the links are planted" "$WORK/evil-home $WORK/evil-mn" \
	"$(readlink "$MNT/home") $(readlink "$MNT/.micronos")"
daemon_down hd
if daemon_up hd --mount "$MNT"; then
	ok "the next boot succeeds"
else
	bad "the next boot"
fi
[ ! -e "$WORK/evil-home" ] && [ ! -e "$WORK/evil-mn" ] &&
	ok "nothing was created at the links' targets" ||
	bad "boot created $(ls -d "$WORK"/evil-* 2>/dev/null)"
check "runs work after it" 1000 "$(run id -u)"
check "the world's /.micronos is a directory again" directory \
	"$(run --root stat -c %F /.micronos)"
daemon_down hd
finish
