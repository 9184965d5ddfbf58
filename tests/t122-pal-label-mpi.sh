#!/bin/sh
# pal-label under mpirun: the same rows serially and with 2 and 3 ranks,
# --ordered in input order, the work shared, input and output through
# paths, FIFOs and mpirun's forwarding.  Runs as root and oversubscribed,
# as CI does (2 cores, no stdin).
. "$(dirname "$0")/lib.sh"

need_mpirun 'pal-label under mpirun'
# Open MPI leaks by design at MPI_Finalize (its own caches and the PMIx
# client): under SAN=1, tests/lsan.supp (set by lib.sh) suppresses those,
# and pal-label's own leaks under mpirun are still reported.

csv2pal() { pal-cat --from csv -o "$1"; }
# rows FILE COLUMNS: the rows of those columns as sorted CSV.
rows() { pal-cat --columns "$2" --to csv "$1" | sort; }

awk 'BEGIN { print "x.0,x.1,w"; for (i = 0; i < 3000; i++) printf "%.9f,%.9f,%d\n", -5 + 15 * ((i * 7919) % 3001) / 3001, 15 * ((i * 104729) % 2999) / 2999, i % 5 }' |
	csv2pal in.pal

test_expect_success 'serially, -n 2 and -n 3: the same set of rows' '
	pal-label --builtin branin --grad --noise 0.1 --seed 5 -i in.pal -o s.pal &&
	mpi 2 pal-label --builtin branin --grad --noise 0.1 --seed 5 -i in.pal -o m2.pal </dev/null &&
	mpi 3 pal-label --builtin branin --grad --noise 0.1 --seed 5 --batch 7 -i in.pal -o m3.pal </dev/null &&
	rows s.pal id,x,w,y,grad,status >s.csv &&
	rows m2.pal id,x,w,y,grad,status >m2.csv &&
	rows m3.pal id,x,w,y,grad,status >m3.csv &&
	test "$(wc -l <s.csv)" -eq 3001 &&
	test_cmp s.csv m2.csv && test_cmp s.csv m3.csv &&
	pal-cat --columns rank --to csv m3.pal | sed 1d | sort -u >ranks &&
	test "$(wc -l <ranks)" -ge 2
'

test_expect_success '--inflight and --batch change the pace, not the rows' '
	mpi 2 pal-label --builtin branin --grad --noise 0.1 --seed 5 --inflight 1 --batch 1 -i in.pal -o i1.pal </dev/null &&
	mpi 3 pal-label --builtin branin --grad --noise 0.1 --seed 5 --inflight 8 --batch 100 -i in.pal -o i8.pal </dev/null &&
	rows i1.pal id,x,w,y,grad,status >i1.csv && test_cmp s.csv i1.csv &&
	rows i8.pal id,x,w,y,grad,status >i8.csv && test_cmp s.csv i8.csv
'

test_expect_success 'the farm shares the rows: every rank evaluates some' '
	pal-cat --head 200 in.pal >few.pal &&
	mpi 3 pal-label --builtin toy --delay 2ms -i few.pal -o d.pal </dev/null &&
	pal-cat --columns rank --to csv d.pal | sed 1d | sort | uniq -c >counts &&
	cat counts &&
	test "$(wc -l <counts)" -eq 3 &&
	pal-cat --columns id --to csv d.pal | sed 1d | sort -n | uniq | wc -l >n &&
	echo 200 >want && test_cmp want n
'

test_expect_success '--ordered: input order, with 1, 2 and 3 ranks' '
	pal-label --builtin toy --ordered --delay uniform:0ms:1ms -i few.pal -o o1.pal &&
	mpi 2 pal-label --builtin toy --ordered --delay uniform:0ms:1ms -j 3 -i few.pal -o o2.pal </dev/null &&
	mpi 3 pal-label --builtin toy --ordered --batch 3 --delay uniform:0ms:1ms -i few.pal -o o3.pal </dev/null &&
	pal-cat --columns id,x,w --to csv few.pal >want &&
	for f in o1 o2 o3; do
		pal-cat --columns id,x,w --to csv $f.pal >$f.csv &&
		test_cmp want $f.csv || exit 1
	done &&
	pal-cat --columns y --to csv o1.pal >y1 &&
	pal-cat --columns y --to csv o3.pal >y3 && test_cmp y1 y3
'

test_expect_success 'an external oracle under -n 2 and -n 3, failures kept' '
	pal-cat --head 60 in.pal >ex.pal &&
	oracle="if [ \$((PAL_ID % 11)) = 3 ]; then echo no >&2; exit 2; fi; awk \"{ print \\\$1 - \\\$2, \\\$1 }\"" &&
	pal-label --exec "$oracle" -i ex.pal -o e1.pal 2>err1 &&
	mpi 2 pal-label --exec "$oracle" -j 2 -i ex.pal -o e2.pal </dev/null 2>err2 &&
	mpi 3 pal-label --exec "$oracle" --outputs 2 -i ex.pal -o e3.pal </dev/null 2>err3 &&
	rows e1.pal id,y,status >e1.csv && rows e2.pal id,y,status >e2.csv &&
	rows e3.pal id,y,status >e3.csv &&
	test_cmp e1.csv e2.csv && test_cmp e1.csv e3.csv &&
	test "$(grep -c ",1$" e1.csv)" -eq 6 &&
	for e in err1 err2 err3; do
		test "$(grep -c "exited with status 2: \"no\"" $e)" -eq 6 || exit 1
	done &&
	pal-cat --columns rank --to csv e2.pal | sed 1d | sort -u >r2 &&
	printf "0\n1\n" >want && test_cmp want r2
'

test_expect_success 'PAL_RANK is the rank that runs the call' '
	mpi 2 pal-label --exec "echo \$PAL_RANK" -i ex.pal -o pr.pal </dev/null &&
	pal-cat --columns y,rank --to csv pr.pal | sed 1d | awk -F, "\$1 != \$2 { exit 1 }"
'

test_expect_success '--dispatch-only: rank 0 runs nothing' '
	mpi 2 pal-label --builtin toy --dispatch-only -i few.pal -o do.pal </dev/null &&
	pal-cat --columns rank --to csv do.pal | sed 1d | sort -u >r &&
	echo 1 >want && test_cmp want r &&
	mpi 3 pal-label --exec "echo 1" --dispatch-only -i ex.pal -o do2.pal </dev/null &&
	test "$(pal-cat --to csv do2.pal | sed 1d | wc -l)" -eq 60
'

test_expect_success 'stdin and stdout through mpirun, and FIFOs that rank 0 opens' '
	mpi 2 pal-label --builtin toy <few.pal >fw.pal &&
	rows fw.pal id,y >a.csv && pal-label --builtin toy few.pal >ser.pal &&
	rows ser.pal id,y >b.csv && test_cmp b.csv a.csv &&
	mkfifo fin fout &&
	{ cat few.pal >fin & } &&
	{ cat fout >ff.pal & } &&
	mpi 2 pal-label --builtin toy -i fin -o fout </dev/null &&
	wait &&
	rows ff.pal id,y >c.csv && test_cmp b.csv c.csv
'

test_expect_success '--on-fail abort under -n 3 exits 1, and nothing looks complete' '
	must_fail 1 mpi 3 pal-label --exec "test \$PAL_ID != 20 && echo 1" --outputs 1 \
		--on-fail abort -i ex.pal -o ab.pal </dev/null 2>err &&
	test_grep "stopping (--on-fail abort)" err &&
	test_grep "aborted (--on-fail abort) after [0-9]* rows: .ab.pal. not written" err &&
	test ! -e ab.pal &&
	must_fail 1 mpi 3 pal-label --exec "test \$PAL_ID != 20 && echo 1" --outputs 1 \
		--on-fail abort -i ex.pal </dev/null >abo.pal 2>err &&
	{ pal-cat --columns id,status --to csv abo.pal 2>cerr || :; } | grep -q "^20,1$" &&
	test_grep "stream cut short: no end frame" cerr
'

test_expect_success 'a bad input under mpirun: exit 1 and the message' '
	head -c 1000 in.pal >cut.pal &&
	! mpi 2 pal-label --builtin toy -i cut.pal -o bad.pal </dev/null 2>err &&
	test_grep "pal-label: .*cut.pal" err &&
	test ! -e bad.pal
'

test_done
