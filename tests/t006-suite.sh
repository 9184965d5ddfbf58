#!/bin/sh
# The test suite itself and the Makefile's dependencies: tests/run counts a
# skip apart from a pass (and under CI=true as a failure); a plain make
# asks only for the build's packages, make check, fuzz, bench and demo for
# their own.
. "$(dirname "$0")/lib.sh"

# A tree of one test script, its body given, run by a copy of tests/run.
fake_suite() {
	rm -rf fake && mkdir -p fake/tests &&
	cp "$TESTS/run" "$TESTS/san-env.sh" fake/tests/ &&
	cat >fake/tests/t001-fake.sh
}

test_expect_success 'a skip is counted apart from the passes' '
	fake_suite <<-\EOF &&
	echo "ok 1 - a"
	echo "ok 2 - b # SKIP no thing"
	echo "ok 3 # skip"
	echo "ok 4 - c"
	echo "1..4"
	EOF
	CI= O=build/none sh fake/tests/run >out &&
	tail -1 out >last && echo "2 passed, 0 failed, 2 skipped" >want &&
	test_cmp want last &&
	test_grep "^tests/t001-fake.sh  *2 ok, 2 skipped" out &&
	test_grep "^skipped: tests/t001-fake.sh" out
'

test_expect_success 'under CI=true a skip fails the run, and says why' '
	CI=true O=build/none sh fake/tests/run >out; rc=$? &&
	test $rc -eq 1 &&
	test_grep "^CI=true: 2 skipped tests count as failures" out &&
	tail -1 out >last && echo "2 passed, 0 failed, 2 skipped" >want &&
	test_cmp want last
'

test_expect_success 'a failure fails the run; a script that dies counts as one' '
	fake_suite <<-\EOF &&
	echo "ok 1 - a"
	echo "not ok 2 - b"
	echo "1..2"
	exit 1
	EOF
	CI= O=build/none sh fake/tests/run >out; rc=$? &&
	test $rc -eq 1 && tail -1 out >last &&
	echo "1 passed, 1 failed, 0 skipped" >want && test_cmp want last &&
	fake_suite <<-\EOF &&
	echo "ok 1 - a"
	exit 3
	EOF
	CI= O=build/none sh fake/tests/run >out; rc=$? &&
	test $rc -eq 1 && tail -1 out >last &&
	echo "1 passed, 1 failed, 0 skipped" >want && test_cmp want last
'

test_expect_success 'lib.sh: test_skip writes a TAP skip and counts it' '
	fake_suite <<-EOF &&
	. "$TESTS/lib.sh"
	test_expect_success "runs" "true"
	test_skip "skipped" "no reason at all"
	test_done
	EOF
	sh fake/tests/t001-fake.sh >out &&
	test_grep "^ok 2 - skipped # SKIP no reason at all$" out &&
	test_grep "^# 1 of 2 skipped$" out
'

# make -n with the build's stamp elsewhere: what a plain make would run
# before the first object.
test_expect_success 'a plain make asks tools/install-deps for the build only' '
	make -n --no-print-directory -C "$TOP" DEPS_OK="$TRASH/no-stamp" \
		all >out 2>&1 &&
	test_grep "^tools/install-deps build$" out &&
	! grep "install-deps.*\(test\|fuzz\|bench\)" out
'

test_expect_success 'make check, fuzz, bench and demo ask for their own packages' '
	for t in check:test fuzz:fuzz bench:bench demo:demo; do
		make -n --no-print-directory -C "$TOP" ${t%%:*} >out 2>&1 &&
		grep -q "^tools/install-deps ${t#*:}$" out ||
		{ echo "make ${t%%:*} does not ask for ${t#*:}"; cat out; exit 1; }
	done
'

test_expect_success 'install-deps: the parts, an unknown part is a usage error' '
	"$TOP"/tools/install-deps --check build &&
	must_fail 2 "$TOP"/tools/install-deps --check nonsense 2>err &&
	test_grep "unknown part .nonsense." err
'

test_done
