#!/bin/bash
# Storage run by a daemon without host privilege (a rootless instance):
# storage's unit tests again as host uid 1000 - metadata of any id and
# type kept in xattrs without chown, backing files the user's own, the
# migration of a rootless daemon's data dir, and the descriptor cache
# finding nodes by name (open_by_handle_at needs CAP_DAC_READ_SEARCH).
set -u
BIN=${MN_BIN:?MN_BIN not set}
PASS=0
FAIL=0
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP needs root (to become uid 1000) and setpriv"
	{ [ -n "${CI:-}" ] && exit 1; exit 0; }
fi
WORK=$(mktemp -d /tmp/mn-it-rootless.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
for t in test_fs_storage test_fs_storage_node; do
	# a copy the user can reach, wherever the build tree is
	cp "$BIN/$t" "$WORK/$t" && chmod 755 "$WORK/$t"
	out=$(cd "$WORK" && setpriv --reuid 1000 --regid 1000 --clear-groups \
		"$WORK/$t" 2>&1)
	rc=$?
	echo "$out" | grep -E "FAILED|ERROR|PASSED" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then
		PASS=$((PASS + 1)); echo "ok - $t as uid 1000"
	else
		FAIL=$((FAIL + 1)); echo "not ok - $t as uid 1000"
	fi
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
