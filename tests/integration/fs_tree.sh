#!/usr/bin/env bash
# Integration test of the FUSE mount: the tree as a new user meets it.
# ls -lR, find, stat of everything, cat of every generated file, 1-byte
# reads against one read (same open, lseek back to 0), the devices
# (dd of dev/zero | sha256sum, head -c 1M dev/random, echo > dev/null), the
# mount's options, another user browsing it, and no mount left after down.
. "$(dirname "$0")/fs_lib.sh"
fs_need

if ! fs_up; then
	bad "the instance mounts its tree at $MNT"
	fs_finish
	exit
fi
ok "the instance mounts its tree at $MNT"

line=$(awk -v d="$MNT" '$5 == d' /proc/self/mountinfo)
case "$line" in
*" - fuse.micronos "*) ok "mount type fuse.micronos" ;;
*) bad "mount type: $line" ;;
esac
case "$line" in
*allow_other*) ok "mounted with allow_other" ;;
*) bad "allow_other missing: $line" ;;
esac

for d in dev etc tmp home root var; do
	[ -d "$MNT/$d" ] && ok "/$d is there" || bad "/$d is missing"
done
# As on Linux, a kernel task's exe link exists but cannot be read: ls and
# stat say so for exactly those links, and for nothing else.
ktask_exe='/proc/[0-9]*/\(task/[0-9]*/\)\?exe.*No such file'
out=$(timeout 60 ls -lR "$MNT" 2>&1)
errs=$(printf '%s\n' "$out" | grep '^ls: ' | grep -v "$ktask_exe")
check "ls -lR complains of nothing but kernel tasks' exe" "" "$errs"
printf '%s\n' "$out" | grep -q ' zero$' && ok "ls -lR lists dev/zero" ||
	bad "ls -lR does not list dev/zero"
n=$(timeout 60 find "$MNT" | wc -l)
[ "$n" -gt 20 ] && ok "find sees $n entries" || bad "find sees only $n"
errs=$(timeout 60 find "$MNT" -exec stat {} + 2>&1 >/dev/null |
	grep -v "$ktask_exe" | head -5)
check "stat of every entry" "" "$errs"

# Every generated file (not the endless devices nor the stream) reads,
# and promptly: nothing but the stream blocks.
gen_dirs=()
for d in dev etc proc sys events health; do
	[ -d "$MNT/$d" ] && gen_dirs+=("$MNT/$d")
done
files=$(find "${gen_dirs[@]}" -type f ! -path "$MNT/dev/zero" \
	! -path "$MNT/dev/random" ! -path "$MNT/dev/urandom" \
	! -path "$MNT/dev/full" ! -name stream 2>/dev/null)
nfiles=0
nbad=0
for f in $files; do
	nfiles=$((nfiles + 1))
	if ! timeout 5 cat "$f" >/dev/null 2>"$FS_TMP/cat.err"; then
		# write-only control files may refuse reads; a hang may not
		grep -q "Permission denied\|Invalid argument" "$FS_TMP/cat.err" ||
			{ nbad=$((nbad + 1)); echo "# cat $f: $(cat "$FS_TMP/cat.err")"; }
	fi
done
check "cat of $nfiles generated files" 0 "$nbad"

# Same open: after lseek 0, 1-byte reads, odd sizes and one read agree.
# lseek 0 renders the file again (seq_file), so figures may have moved; the
# lines and their keys may not, and a sequence of small reads must never
# mix two renders (a torn line shows as a changed key or line count).
if command -v python3 >/dev/null; then
	res=$(printf '%s\n' $files | timeout 240 python3 -c '
import os, re, sys
bad = 0
def readall(fd, chunk):
    out = b""
    while True:
        b = os.read(fd, chunk)
        if not b: return out
        out += b
def keys(text):
    # the first word of each line: what a re-render keeps (a figure
    # there, as /proc/uptime has, may move: only its place counts)
    return [re.sub(rb"^[0-9.]+$", b"#", re.split(rb"[\s:]", l, 1)[0])
            for l in text.split(b"\n")]
for path in sys.stdin.read().split():
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        continue
    try:
        whole = b""
        while True:
            b = os.read(fd, 1 << 20)
            if not b: break
            whole += b
        for chunk in (1, 7, 4093):
            # 1-byte reads are one FUSE round trip each: past 16 KiB
            # they test the load of the machine, not the offsets
            if chunk == 1 and len(whole) > 16 << 10: continue
            # figures move between renders (a counter, a peer that comes
            # and goes): a few tries must find a chunked sequence that is
            # one whole render; a torn one never is
            for attempt in range(5):
                if attempt:
                    os.lseek(fd, 0, os.SEEK_SET)
                    whole = readall(fd, 1 << 20)
                os.lseek(fd, 0, os.SEEK_SET)
                got = readall(fd, chunk)
                # a log (events/log) may grow while open: same start is fine
                if got == whole or (len(got) > len(whole) and
                                    got.startswith(whole)) or \
                        keys(got) == keys(whole):
                    break
            else:
                bad += 1
                print("# %s: %d-byte reads differ" % (path, chunk))
    except OSError as e:
        pass
    finally:
        os.close(fd)
print(bad)
')
	check "1-byte reads, odd sizes and one read agree" 0 "$(echo "$res" | tail -1)"
	echo "$res" | grep '^#'
else
	skip "1-byte reads agree" "no python3"
fi

zero=$(timeout 60 dd if="$MNT/dev/zero" bs=1M count=1024 2>/dev/null | sha256sum)
check "dd dev/zero bs=1M count=1024 | sha256sum" \
	"49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14  -" \
	"$zero"
check "head -c 1M dev/random | wc -c" 1048576 \
	"$(timeout 20 head -c 1M "$MNT/dev/random" | wc -c)"
echo x >"$MNT/dev/null"
check "echo x > dev/null" 0 $?
check "cat dev/null" "" "$(cat "$MNT/dev/null")"

# allow_other: another user browses; /root stays closed to him.
if command -v setpriv >/dev/null; then
	user_ids
	as_user ls "$MNT/etc" >/dev/null 2>&1
	check "uid 1000 lists /etc" 0 $?
	as_user ls "$MNT/root" >/dev/null 2>&1
	check "uid 1000 cannot list /root" 2 $?
	as_user cat "$MNT/etc/passwd" >/dev/null 2>&1
	check "uid 1000 reads /etc/passwd" 0 $?
else
	skip "another user browses" "no setpriv"
fi

fs_down
is_mounted "$MNT" && bad "a mount is left after down" || ok "no mount left after down"
fs_finish
