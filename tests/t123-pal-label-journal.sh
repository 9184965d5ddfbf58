#!/bin/sh
# pal-label --journal: a run killed by kill -9 and resumed runs no finished
# row again; a torn last frame is cut off; a complete journal runs nothing;
# corrupt, locked and mismatched journals are refused.  (What a journal is,
# and what it belongs to: t124.)
. "$(dirname "$0")/lib.sh"

csv2pal() { pal-cat --from csv -o "$1"; }
awk 'BEGIN { print "x.0,x.1"; for (i = 0; i < 60; i++) printf "%d,%.6f\n", i, i / 60 }' |
	csv2pal in.pal
pal-cat --columns id --to csv in.pal | sed 1d >all.ids

# An oracle that records each call it finishes in "calls"; rows from id 30
# on hang (exec sleep: it dies with pal-label) until the file "go" exists.
oracle='if [ $PAL_ID -ge 30 ] && [ ! -e go ]; then exec sleep 60; fi; echo $PAL_ID >>calls; awk "{ print \$1 + \$2 }"'

test_expect_success 'kill -9 mid-way, resume: no finished row runs again' '
	rm -f calls go j1 &&
	{ pal-label -j 3 --exec "$oracle" --journal j1 -o out1.pal in.pal 2>err1 & pid=$!; } &&
	wait_lines calls 30 &&
	sleep 0.5 &&
	kill -9 $pid && { wait $pid; true; } &&
	test ! -e out1.pal &&
	touch go &&
	pal-label -j 3 --exec "$oracle" --journal j1 -o out2.pal in.pal 2>err2 &&
	sort -n calls >calls.sorted &&
	test_cmp all.ids calls.sorted &&
	pal-cat --columns id --to csv out2.pal | sed 1d | sort -n >out.ids &&
	test_cmp all.ids out.ids &&
	pal-cat --columns id,x,y,status --to csv out2.pal | sed 1d |
	awk -F, "{ d = \$2 + \$3 - \$4; if (d < -1e-4 || d > 1e-4 || \$5 != 0) exit 1 }"
'

test_expect_success 'a complete journal: the second run runs nothing' '
	rm -f calls &&
	pal-label --exec "$oracle" --journal j1 -o out3.pal in.pal &&
	test ! -e calls &&
	pal-cat --columns id,x,y,status,t_start,t_end --to csv out2.pal | sort >a &&
	pal-cat --columns id,x,y,status,t_start,t_end --to csv out3.pal | sort >b &&
	test_cmp a b
'

test_expect_success 'a torn last frame is cut off and its row run again' '
	rm -f calls j2 &&
	pal-cat --head 10 in.pal >ten.pal &&
	pal-label --exec "$oracle" --journal j2 -o t1.pal ten.pal &&
	test "$(wc -l <calls)" -eq 10 &&
	last=$(tail -1 calls) &&
	size=$(wc -c <j2) &&
	head -c $((size - 10)) j2 >j2.cut && mv j2.cut j2 &&
	rm calls &&
	pal-label --exec "$oracle" --journal j2 -o t2.pal ten.pal 2>err &&
	test_grep "cut off [0-9]* bytes of a torn last frame" err &&
	echo "$last" >want && test_cmp want calls &&
	pal-cat --columns id --to csv t2.pal | sed 1d | sort -n >got &&
	head -10 all.ids >want10 && test_cmp want10 got &&
	rm calls &&
	pal-label --exec "$oracle" --journal j2 -o t3.pal ten.pal 2>err &&
	test ! -e calls && test ! -s err
'

test_expect_success 'a journal cut at any byte after its kind frame resumes, and then runs nothing again' '
	rm -f jc jk &&
	pal-cat --head 6 in.pal >six.pal &&
	pal-cat --head 0 in.pal >zero.pal &&
	pal-label --builtin toy --journal jk -o /dev/null zero.pal &&
	kind=$(wc -c <jk) &&
	pal-label --builtin toy --delay 2ms --journal jc -o c0.pal six.pal &&
	size=$(wc -c <jc) &&
	test "$size" -gt "$kind" &&
	cut=$kind &&
	while [ $cut -lt "$size" ]; do
		head -c $cut jc >jcut &&
		pal-label --builtin toy --journal jcut -o c1.pal six.pal 2>err || exit 1
		test "$(pal-cat --to csv c1.pal | sed 1d | wc -l)" -eq 6 || exit 1
		# Now complete: an oracle that always fails must not be needed.
		pal-label --exec false --outputs 1 --on-fail abort --journal-any-oracle \
			--journal jcut -o c2.pal six.pal 2>/dev/null ||
			{ echo "cut at $cut ran a row again"; exit 1; }
		cut=$((cut + 37))
	done
'

test_expect_success 'a journal cut inside its kind frame is not a journal: refused as it is' '
	kind=$(wc -c <jk) && cut=1 &&
	while [ $cut -lt "$kind" ]; do
		head -c $cut jk >jcut && cp jcut jcut.orig &&
		must_fail 1 pal-label --builtin toy --journal jcut -o c3.pal six.pal 2>err || exit 1
		grep -q "jcut. is not a journal" err && cmp jcut jcut.orig && test ! -e c3.pal || exit 1
		cut=$((cut + 7))
	done
'

test_expect_success 'failed rows are journaled: --retry-failed tries them again' '
	rm -f calls j3 &&
	pal-cat --head 5 in.pal >five.pal &&
	pal-label --exec "echo \$PAL_ID >>calls; test \$PAL_ID != 2 && echo 1" --outputs 1 \
		--journal j3 -o f1.pal five.pal 2>/dev/null &&
	pal-label --exec "echo \$PAL_ID >>calls; echo 1" --journal-any-oracle \
		--retry-failed --journal j3 -o f2.pal five.pal 2>/dev/null &&
	printf "0\n1\n2\n3\n4\n2\n" >want && test_cmp want calls &&
	pal-cat --columns status --to csv f2.pal | sed 1d | sort -u >st &&
	echo 0 >want.st && test_cmp want.st st
'

test_expect_success '--ordered with a journal: restored rows at their places' '
	rm -f j4 &&
	pal-label --builtin toy --delay exp:1ms --journal j4 -o p1.pal ten.pal &&
	pal-label --builtin toy --ordered --journal j4 -o p2.pal in.pal &&
	pal-cat --columns id --to csv p2.pal | sed 1d >got &&
	test_cmp all.ids got &&
	pal-label --builtin toy --ordered -o p3.pal in.pal &&
	pal-cat --columns id,y --to csv p2.pal >a && pal-cat --columns id,y --to csv p3.pal >b &&
	test_cmp a b
'

test_expect_success 'a journal of another oracle, a corrupt one, one in use' '
	must_fail 1 pal-label --builtin toy --grad --journal j4 in.pal >/dev/null 2>err &&
	test_grep "journal .j4. is of another oracle" err &&
	must_fail 1 pal-label --builtin toy --grad --journal-any-oracle --journal j4 in.pal >/dev/null 2>err &&
	test_grep "journal .j4.: row id 0 has 1 y and 0 gradient elements, this run 1 and 2" err &&
	cp j4 j5 &&
	printf "\377\377\377\377" | dd of=j5 bs=1 seek=200 conv=notrunc 2>/dev/null &&
	must_fail 1 pal-label --builtin toy --journal j5 in.pal >/dev/null 2>err &&
	test_grep "corrupt journal" err &&
	rm -f go &&
	{ pal-label --exec "$oracle" --outputs 1 --journal j6 -o /dev/null in.pal 2>/dev/null & pid=$!; } &&
	sleep 0.5 &&
	must_fail 1 pal-label --builtin toy --journal j6 in.pal >/dev/null 2>err &&
	kill -9 $pid && { wait $pid; true; } &&
	test_grep "journal .j6. is in use" err
'

need_mpirun 'a journal written under mpirun -n 2 resumes serially'
test_expect_success 'a journal written under mpirun -n 2 resumes serially' '
	rm -f calls j7 &&
	touch go &&
	mpi 2 pal-label --exec "$oracle" --journal j7 -i ten.pal -o m1.pal </dev/null &&
	test "$(wc -l <calls)" -eq 10 &&
	pal-label --exec "$oracle" --journal j7 -o m2.pal in.pal &&
	sort -n calls >got && test_cmp all.ids got
'

test_done
