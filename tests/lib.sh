# lib.sh: the shell test library, sourced by every tests/tNNN-*.sh.
#
# After git's t/test-lib.sh, much smaller.  Each script does
#
#	. "$(dirname "$0")/lib.sh"
#	test_expect_success 'what it checks' '
#		pal-cat --from csv in.csv >out.pal &&
#		pal-cat --to csv out.pal >actual &&
#		test_cmp expect actual
#	'
#	test_done
#
# and prints TAP ("ok 1 - ...", "not ok 2 - ...", "1..N").  The body runs in
# a subshell inside a fresh scratch directory ($TRASH) shared by the script's
# tests; bin/ of this tree comes first on PATH, so an installed pal is never
# tested by mistake.  On failure the body's output is shown as TAP comments.
#
#	must_fail CODE cmd...	cmd must exit with CODE (not die by a signal)
#	test_cmp A B		files must be equal (shows a diff)
#	test_grep PATTERN FILE	FILE must match (shows FILE otherwise)
#	test_skip 'what' 'why'	a skipped test: "ok N - what # SKIP why";
#				tests/run counts it apart from the passes,
#				and under CI=true as a failure
#	need_mpirun 'what'	skip the rest of the script (as 'what')
#				without mpirun; else let Open MPI run as
#				root, as CI does
#	mpi N cmd...		cmd under mpirun -n N, oversubscribed
#	wait_lines FILE N	wait (up to 30 s) until FILE has N lines

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build/default}
BUILD=$TOP/$O
TESTS=$TOP/tests
PATH=$TOP/bin:$BUILD/tests:$PATH
export PATH TOP BUILD TESTS
LC_ALL=C
export LC_ALL

. "$TESTS/san-env.sh"

name=$(basename "$0" .sh)
TRASH=$TOP/build/trash/$name
rm -rf "$TRASH"
mkdir -p "$TRASH"
cd "$TRASH" || exit 1

test_count=0
test_failed=0
test_skipped=0

test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out" | head -40
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

must_fail() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "must_fail: '$*' exited $got, expected $want" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	if ! cmp -s "$1" "$2"; then
		echo "test_cmp: $1 and $2 differ:" >&2
		diff -u "$1" "$2" | head -40 >&2
		return 1
	fi
}

test_grep() {
	if ! grep -q -e "$1" "$2"; then
		echo "test_grep: no '$1' in $2:" >&2
		head -20 "$2" >&2
		return 1
	fi
}

need_mpirun() {
	if ! command -v mpirun >/dev/null 2>&1; then
		test_skip "$1" 'no mpirun'
		test_done
	fi
	OMPI_ALLOW_RUN_AS_ROOT=1
	OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
}

mpi() {
	n=$1
	shift
	mpirun --oversubscribe -n "$n" "$@"
}

wait_lines() {
	i=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "timed out waiting for $1"; return 1; }
		sleep 0.1
	done
}

test_done() {
	echo "1..$test_count"
	[ "$test_skipped" -eq 0 ] ||
		echo "# $test_skipped of $test_count skipped"
	if [ "$test_failed" -eq 0 ]; then
		rm -rf "$TRASH"
		exit 0
	fi
	exit 1
}
