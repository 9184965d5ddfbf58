#!/bin/sh
# pal-label's farm when things go wrong (issue 7): a finished row is
# journaled when it finishes, not when the rows before it are written; a
# worker that stops answering ends the job with its rank and host named;
# workers stop when rank 0 dies; a row of 2^24 numbers is accepted; a
# usage error under mpirun is printed once; a non-finite built-in result
# keeps its message across ranks.
. "$(dirname "$0")/lib.sh"

awk 'BEGIN { print "x.0,x.1"; for (i = 0; i < 40; i++) printf "%d,%.6f\n", i, i / 40 }' |
	pal-cat --from csv -o in.pal

test_expect_success 'kill -9 behind a slow row (--ordered): only the slow row runs again' '
	rm -f calls calls2 j &&
	slow="if [ \$PAL_ID = 3 ]; then sleep 30; fi; echo \$PAL_ID >>calls; echo 1" &&
	{ pal-label --ordered -j 4 --outputs 1 --exec "$slow" --journal j -o o.pal in.pal & } &&
	pid=$! &&
	wait_lines calls 39 &&
	sleep 0.3 &&
	kill -9 $pid && { wait $pid || :; } &&
	pal-label --ordered --exec "echo \$PAL_ID >>calls2; echo 1" --journal j \
		--journal-any-oracle -o o2.pal in.pal &&
	echo 3 >want && test_cmp want calls2 &&
	pal-cat --columns id --to csv o2.pal | sed 1d >ids &&
	seq 0 39 >want && test_cmp want ids
'

test_expect_success 'a row of 2^24 numbers (pal-stream(5)s widest) is labeled' '
	pal-wide 16777216 >wide.pal &&
	pal-label --builtin toy wide.pal -o wo.pal &&
	pal-cat --columns id,y,status --to csv wo.pal >got &&
	printf "id,y,status\n0,0,0\n" >want && test_cmp want got
'

# Rows finished behind a slow one wait for it (--ordered): no more than
# READ_AHEAD (256 MiB) of them, where 40 rows of 8 MiB of x used to be held
# whole (x twice: the input column and the evaluator's copy).  Measured by
# GNU time's maximum resident size, so not under the sanitizers.
if [ "${SAN-}" != 1 ] && [ -x /usr/bin/time ]; then
	test_expect_success '--ordered behind a slow row: wide rows held by bytes, not rows' '
		pal-wide 1048576 40 >w40.pal &&
		in=$(wc -c <w40.pal) &&
		or="if [ \$PAL_ID = 0 ]; then sleep 2; fi; cat >/dev/null; echo 1" &&
		/usr/bin/time -f %M -o rss pal-label --ordered -j 4 --outputs 1 --exec "$or" \
			-o w40o.pal w40.pal &&
		test "$(pal-cat --columns status --to csv w40o.pal | sed 1d | grep -c "^0$")" -eq 40 &&
		held=$(( $(cat rss) - in / 1024 )) &&
		echo "held $held KiB beside the input frame" &&
		test "$held" -lt 524288
	'
fi

need_mpirun 'pal-label farm under mpirun'
test_expect_success 'a usage error under mpirun is printed once' '
	must_fail 2 mpi 3 pal-label --builtin toy --bogus </dev/null 2>err &&
	test "$(grep -c "pal-label: unrecognized option" err)" -eq 1 &&
	test "$(grep -c "^usage: pal-label" err)" -eq 1 &&
	must_fail 2 mpi 2 pal-label --builtin nosuch </dev/null 2>err &&
	test "$(grep -c "unknown function .nosuch." err)" -eq 1
'

test_expect_success 'a non-finite built-in result: status 6 and its message, from any rank' '
	printf "x.0,x.1,x.2,x.3,x.4,x.5\n0,0,0,1,0,0\n0,0,0,0,0,0\n0,0,0,1.2,0,0\n" |
		pal-cat --from csv -o lj.pal &&
	pal-label --builtin lj -o l0.pal lj.pal 2>err0 &&
	mpi 2 pal-label --builtin lj --dispatch-only -o l1.pal lj.pal </dev/null 2>err1 &&
	printf "0,0\n1,6\n2,0\n" >want &&
	pal-cat --columns id,status --to csv l0.pal | sed 1d >got0 && test_cmp want got0 &&
	pal-cat --columns id,status --to csv l1.pal | sed 1d >got1 && test_cmp want got1 &&
	test_grep "^pal-label: row 1 (rank 0): non-finite result$" err0 &&
	test_grep "^pal-label: row 1 (rank 1): non-finite result$" err1
'

test_expect_success 'a worker stopped by SIGSTOP: rank 0 names it and ends the job' '
	rm -f r1.pid j2 &&
	or="if [ \$PAL_RANK = 1 ]; then echo \$PPID >r1.pid.\$\$ && mv r1.pid.\$\$ r1.pid; fi; sleep 0.05; echo 1" &&
	{ mpi 2 pal-label --heartbeat 1s --exec "$or" --journal j2 -o s.pal in.pal </dev/null 2>err; echo $? >rc; } &
	wait_lines r1.pid 1 &&
	start=$(date +%s) &&
	kill -STOP "$(cat r1.pid)" &&
	wait &&
	end=$(date +%s) &&
	cat err &&
	test "$(cat rc)" -ne 0 &&
	echo "ended $((end - start)) s after the stop" &&
	test $((end - start)) -lt 15 &&
	test_grep "pal-label: rank 1 (host $(hostname), pid $(cat r1.pid)) has not answered for [0-9.]* s (--heartbeat 1): stopped or hung; ending the job" err &&
	test ! -e s.pal &&
	{ kill -CONT "$(cat r1.pid)" 2>/dev/null; kill -9 "$(cat r1.pid)" 2>/dev/null; :; } &&
	pal-label --exec "echo 1" --journal j2 --journal-any-oracle -o s2.pal in.pal &&
	test "$(pal-cat --to csv s2.pal | sed 1d | wc -l)" -eq 40
'

test_expect_success 'rank 0 killed: the workers stop at once' '
	rm -f r0.pid calls &&
	awk "BEGIN { print \"x\"; for (i = 0; i < 400; i++) print i }" | pal-cat --from csv -o many.pal &&
	or="echo \$PPID >r\$PAL_RANK.pid.\$\$ && mv r\$PAL_RANK.pid.\$\$ r\$PAL_RANK.pid; echo \$PAL_RANK >>calls; sleep 0.02; echo 1" &&
	{ mpi 2 pal-label --exec "$or" --batch 50 --inflight 4 -o k.pal many.pal </dev/null 2>/dev/null & } &&
	wait_lines calls 40 && wait_lines r0.pid 1 &&
	kill -9 "$(cat r0.pid)" &&
	sleep 0.5 &&
	n1=$(grep -c 1 calls) &&
	sleep 1 &&
	n2=$(grep -c 1 calls) &&
	echo "rank 1 calls: $n1 then $n2" &&
	test "$n1" -eq "$n2" &&
	wait
'

test_done
