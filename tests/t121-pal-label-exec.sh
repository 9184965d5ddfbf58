#!/bin/sh
# pal-label --exec: the user's oracle through /bin/sh -c, per row and per
# chunk; its environment and scratch directories; oracles that exit
# non-zero, die by a signal, hang past the timeout or print garbage, under
# each --on-fail; retries.
. "$(dirname "$0")/lib.sh"

csv2pal() { pal-cat --from csv -o "$1"; }
awk 'BEGIN { print "x.0,x.1"; for (i = 0; i < 12; i++) printf "%d,%.17g\n", i, i / 7 }' |
	csv2pal in.pal
pal-cat --to csv in.pal | sed 1d >in.csv

# same_numbers A B: the same CSV lines, numbers equal to 1e-13 (relative).
same_numbers() {
	paste -d"|" "$1" "$2" | awk -F"|" '{
		na = split($1, a, ","); nb = split($2, b, ",")
		if (na != nb) { print "line " NR ": " $0; bad = 1; next }
		for (i = 1; i <= na; i++) {
			d = a[i] - b[i]; if (d < 0) d = -d
			s = a[i] < 0 ? -a[i] : a[i]
			if (d > 1e-13 * (1 + s) || (a[i] == "nan") != (b[i] == "nan")) {
				print "line " NR ": " $0; bad = 1; next
			}
		}
	} END { exit bad || NR == 0 }' &&
	test "$(wc -l <"$1")" -eq "$(wc -l <"$2")"
}

# gone PID: the process has exited (a zombie left to an init that does not
# reap counts as gone).
gone() {
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	case $st in Z*) return 0 ;; esac
	return 1
}

# The expected y of "x0 + 2 x1, x0 * x1" computed by awk from the CSV.
awk -F, '{ printf "%d,%.17g,%.17g\n", $1, $2 + 2 * $3, $2 * $3 }' in.csv >want2

sum_oracle='awk "{ printf \"%.17g %.17g\n\", \$1 + 2 * \$2, \$1 * \$2 }"'

test_expect_success 'one call per row: y from its stdout, width from the first line' '
	pal-label --exec "$sum_oracle" in.pal >out.pal &&
	pal-cat --columns id,y --to csv out.pal | sed 1d | sort -n >got &&
	sort -n want2 >want && same_numbers want got &&
	pal-cat --columns status --to csv out.pal | sed 1d | sort -u >st &&
	echo 0 >want.st && test_cmp want.st st
'

test_expect_success 'x goes in with 17 digits, so it comes back exactly' '
	pal-label --exec cat --outputs 2 in.pal >echo.pal &&
	pal-cat --columns x --to csv echo.pal >a &&
	pal-cat --columns y --to csv echo.pal | sed "s/^y.0,y.1/x.0,x.1/" >b &&
	test_cmp a b
'

test_expect_success '--chunk: fewer calls, the same results' '
	rm -f calls &&
	pal-label --chunk 5 --exec "echo \$PAL_NROWS >>calls; $sum_oracle" in.pal >c.pal &&
	pal-cat --columns id,y --to csv c.pal | sed 1d | sort -n >got &&
	sort -n want2 >want && same_numbers want got &&
	printf "5\n5\n2\n" >want.calls && test_cmp want.calls calls
'

test_expect_success 'PAL_ID, PAL_IDS, PAL_RANK, PAL_ATTEMPT in the environment' '
	pal-label --exec "echo \$PAL_ID \$PAL_RANK \$PAL_ATTEMPT" in.pal >e.pal &&
	pal-cat --columns id,y --to csv e.pal | sed 1d |
	awk -F, "{ if (\$1 != \$2 || \$3 != 0 || \$4 != 1) bad = 1 } END { exit bad || NR != 12 }" &&
	pal-label --chunk 3 --exec "for i in \$PAL_IDS; do echo \$i; done" in.pal >ids.pal &&
	pal-cat --columns id,y --to csv ids.pal | sed 1d | awk -F, "\$1 != \$2 { exit 1 }"
'

test_expect_success '--workdir: a fresh directory per call, removed after success' '
	pal-label --workdir wd --exec "test \"\$(pwd)\" = \"\$PAL_WORKDIR\" && test -z \"\$(ls)\" && touch junk && echo 1" in.pal >w.pal &&
	pal-cat --columns status --to csv w.pal | sed 1d | sort -u >st &&
	echo 0 >want && test_cmp want st &&
	test -d wd && test -z "$(ls wd)"
'

test_expect_success '--workdir: kept after a failure, and named in the message' '
	pal-label --workdir wd2 --exec "touch evidence; test \$PAL_ID != 3 && echo 1" in.pal >w.pal 2>err &&
	test_grep "row 3 (rank 0): exited with status 1 (scratch directory kept: .*wd2/row3-r0-" err &&
	ls wd2 >kept && test "$(wc -l <kept)" -eq 1 &&
	test -f wd2/$(cat kept)/evidence &&
	pal-label --workdir wd3 --keep-workdir --exec "echo 1" in.pal >/dev/null &&
	test "$(ls wd3 | wc -l)" -eq 12
'

fail_oracle='if [ $PAL_ID = 4 ] || [ $PAL_ID = 7 ]; then echo "bad things at $PAL_ID" >&2; exit 3; fi; echo $PAL_ID'

test_expect_success 'non-zero exit, --on-fail keep: status 1, NaN, the stderr line' '
	pal-label --exec "$fail_oracle" --ordered in.pal >k.pal 2>err &&
	pal-cat --columns id,y,status --to csv k.pal | sed 1d >got &&
	awk -F, "{ if (\$1 == 4 || \$1 == 7) print \$1 \",nan,1\"; else print \$1 \",\" \$1 \",0\" }" in.csv >want &&
	test_cmp want got &&
	test_grep "row 4 (rank 0): exited with status 3: \"bad things at 4\"" err &&
	test_grep "row 7 (rank 0): exited with status 3" err &&
	test_grep "2 of 12 rows failed (kept with their status): 2 exit" err
'

test_expect_success 'non-zero exit, --on-fail skip: left out, counted at the end' '
	pal-label --exec "$fail_oracle" --on-fail skip in.pal >s.pal 2>err &&
	pal-cat --columns id --to csv s.pal | sed 1d | sort -n >got &&
	awk -F, "\$1 != 4 && \$1 != 7 { print \$1 }" in.csv >want &&
	test_cmp want got &&
	test_grep "2 of 12 rows failed (skipped)" err
'

test_expect_success 'non-zero exit, --on-fail abort: exit 1, what ran is written, no end' '
	must_fail 1 pal-label --exec "$fail_oracle" --on-fail abort in.pal >a.pal 2>err &&
	{ pal-cat --columns id,status --to csv a.pal 2>cerr; echo $? >rc; } | sed 1d >got &&
	awk -F, "{ if (\$1 != NR - 1 || \$2 != (\$1 == 4)) exit 1 }
		END { exit !(NR >= 5 && NR < 12) }" got &&
	echo 1 >want && test_cmp want rc &&
	test_grep "stream cut short: no end frame" cerr &&
	test_grep "stopping (--on-fail abort)" err &&
	test_grep "aborted (--on-fail abort) after [0-9]* rows: the output has no end frame" err
'

test_expect_success '--on-fail abort with -o: exit 1, the file not put in place' '
	must_fail 1 pal-label --exec "$fail_oracle" --on-fail abort -o ao.pal in.pal 2>err &&
	test_grep "aborted (--on-fail abort) after [0-9]* rows: .ao.pal. not written" err &&
	test ! -e ao.pal && test -z "$(ls ao.pal.tmp* 2>/dev/null)"
'

test_expect_success 'a signal: status 2, named' '
	pal-label --exec "if [ \$PAL_ID = 2 ]; then kill -SEGV \$\$; fi; echo 1" in.pal >g.pal 2>err &&
	pal-cat --columns id,status --to csv g.pal | sed 1d | grep -c ",2$" >n &&
	echo 1 >want && test_cmp want n &&
	test_grep "row 2 (rank 0): killed by signal 11" err
'

test_expect_success 'a hang past --timeout: status 3, its process group killed' '
	rm -f bg.pid &&
	start=$(date +%s) &&
	pal-label --timeout 300ms -j 3 --exec "if [ \$PAL_ID = 5 ]; then sleep 30 & echo \$! >bg.pid; wait; fi; echo 1" \
		--ordered in.pal >t.pal 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -lt 10 &&
	pal-cat --columns id,status --to csv t.pal | sed 1d >got &&
	awk -F, "{ print \$1 \",\" (\$1 == 5 ? 3 : 0) }" in.csv >want &&
	test_cmp want got &&
	test_grep "row 5 (rank 0): timed out after 0.3s, killed" err &&
	sleep 0.2 && gone "$(cat bg.pid)"
'

test_expect_success 'a hang past --timeout under skip and abort' '
	hang="if [ \$PAL_ID = 3 ]; then exec sleep 30; fi; echo 1" &&
	pal-label --timeout 200ms --outputs 1 --on-fail skip --exec "$hang" in.pal >ts.pal 2>err &&
	pal-cat --columns id --to csv ts.pal | sed 1d | sort -n >got &&
	awk -F, "\$1 != 3 { print \$1 }" in.csv >want && test_cmp want got &&
	test_grep "1 of 12 rows failed (skipped): 0 exit, 0 signal, 1 timeout" err &&
	must_fail 1 pal-label --timeout 200ms --outputs 1 --on-fail abort --exec "$hang" in.pal >ta.pal 2>err &&
	test_grep "row 3 (rank 0): timed out" err &&
	pal-cat --columns id,status --to csv ta.pal | grep -q "^3,3$"
'

test_expect_success 'garbage on stdout: status 4, the line quoted; every policy' '
	garbage="if [ \$PAL_ID = 6 ]; then echo hello world; else echo 2.5; fi" &&
	pal-label --exec "$garbage" in.pal >gk.pal 2>err &&
	test_grep "row 6 (rank 0): bad output: line 1 is not numbers: \"hello world\"" err &&
	pal-cat --columns id,status --to csv gk.pal | grep -c "^6,4$" >n && echo 1 >want && test_cmp want n &&
	pal-label --exec "$garbage" --on-fail skip in.pal >gs.pal 2>err &&
	test "$(pal-cat --to csv gs.pal | sed 1d | wc -l)" -eq 11 &&
	must_fail 1 pal-label --exec "$garbage" --on-fail abort in.pal >ga.pal 2>err &&
	must_fail 1 pal-cat --verify ga.pal
'

test_expect_success 'wrong counts: too few numbers, too many lines, nothing, nan' '
	pal-label --exec "if [ \$PAL_ID = 1 ]; then echo 1; else echo 1 2; fi" --outputs 2 in.pal >w1.pal 2>err &&
	test_grep "row 1 (rank 0): bad output: line 1 has 1 number, expected 2" err &&
	pal-label --exec "echo 1; echo 2" in.pal >w2.pal 2>err &&
	test_grep "bad output: more than 1 line, line 2 is \"2\"" err &&
	pal-label --exec "true" --outputs 1 in.pal >w3.pal 2>err &&
	test_grep "bad output: 0 lines of numbers for 1 row" err &&
	pal-label --exec "echo nan" --outputs 1 in.pal >w4.pal 2>err &&
	test_grep "non-finite result on line 1" err &&
	pal-cat --columns status --to csv w4.pal | sed 1d | sort -u >st &&
	echo 6 >want && test_cmp want st
'

test_expect_success 'a command that cannot start, or a workdir that cannot be made' '
	pal-label --exec "no-such-command-xyz" --outputs 1 in.pal >n.pal 2>err &&
	test_grep "exited with status 127: \".*not found" err &&
	touch file &&
	must_fail 1 pal-label --exec "echo 1" --workdir file/sub in.pal >/dev/null 2>err &&
	test_grep "cannot create --workdir" err
'

test_expect_success '--retries: a row that fails once succeeds the second time' '
	mkdir marks && rm -f calls &&
	once="echo \$PAL_ID >>calls; if [ ! -e marks/\$PAL_ID ]; then touch marks/\$PAL_ID; exit 1; fi; echo \$PAL_ATTEMPT" &&
	pal-label --retries 1 --exec "$once" in.pal >r.pal 2>err &&
	pal-cat --columns status,y --to csv r.pal | sed 1d | sort -u >got &&
	echo "0,2" >want && test_cmp want got &&
	test "$(sort calls | uniq -c | awk "\$1 != 2" | wc -l)" -eq 0 &&
	test "$(wc -l <calls)" -eq 24 &&
	test_grep "row 0: exited with status 1; trying again (attempt 2 of 2)" err &&
	rm -rf marks && mkdir marks &&
	pal-label --exec "$once" in.pal >r0.pal 2>err &&
	pal-cat --columns status --to csv r0.pal | sed 1d | sort -u >got &&
	echo 1 >want && test_cmp want got
'

test_expect_success '-j 4: four calls at once' '
	pal-label -j 4 --outputs 1 --exec "sleep 0.2; echo 1" in.pal >j.pal &&
	pal-cat --columns t_start,t_end --to csv j.pal | sed 1d | tr , " " | sort -n |
	awk "{ s[NR] = \$1; e[NR] = \$2 } END { exit !(s[4] < e[1]) }"
'

test_expect_success 'an oracle that never reads its stdin does not kill pal-label' '
	awk "BEGIN { print \"x.0\"; for (i = 0; i < 3; i++) print i }" | csv2pal small.pal &&
	pal-label --exec "echo 7" small.pal >n.pal &&
	test "$(pal-cat --columns y --to csv n.pal | sed 1d | sort -u)" = 7
'

# --exec --grad: y = x0^2 x1 + sin(x1), then its gradient, per line.
grad_oracle='awk "{ printf \"%.17g %.17g %.17g\n\", \$1 * \$1 * \$2 + sin(\$2), 2 * \$1 * \$2, \$1 * \$1 + cos(\$2) }"'

# The gradient of that function by central differences, from the CSV,
# computed apart from the oracle: id, y, dy/dx0, dy/dx1.
awk -F, 'function f(a, b) { return a * a * b + sin(b) }
	{ h = 1e-5
	  printf "%d,%.17g,%.17g,%.17g\n", $1, f($2, $3),
		(f($2 + h, $3) - f($2 - h, $3)) / (2 * h),
		(f($2, $3 + h) - f($2, $3 - h)) / (2 * h) }' in.csv >want.fd

# near A B TOL: the same CSV lines, numbers equal to TOL (relative).
near() {
	paste -d"|" "$1" "$2" | awk -F"|" -v tol="$3" '{
		na = split($1, a, ","); nb = split($2, b, ",")
		if (na != nb) { print "line " NR ": " $0; bad = 1; next }
		for (i = 1; i <= na; i++) {
			d = a[i] - b[i]; if (d < 0) d = -d
			s = a[i] < 0 ? -a[i] : a[i]
			if (!(d <= tol * (1 + s))) { print "line " NR ": " $0; bad = 1; next }
		}
	} END { exit bad || NR == 0 }' &&
	test "$(wc -l <"$1")" -eq "$(wc -l <"$2")"
}

test_expect_success '--exec --grad: y, then d numbers of dy/dx a line, into grad' '
	pal-label --exec "$grad_oracle" --grad --ordered in.pal >g.pal &&
	pal-cat --columns id,y,grad,status --to csv g.pal >all &&
	head -1 all >head && echo "id,y,grad.0,grad.1,status" >want.head &&
	test_cmp want.head head &&
	sed 1d all | cut -d, -f5 | sort -u >st && echo 0 >want.st &&
	test_cmp want.st st &&
	sed 1d all | cut -d, -f1-4 >got && near want.fd got 1e-8 &&
	pal-cat --info g.pal | grep "grad" | grep -q "f64" &&
	pal-label --exec "$grad_oracle" --grad --outputs 1 --ordered in.pal >g1.pal &&
	pal-cat --columns id,y,grad --to csv g1.pal >b && pal-cat --columns id,y,grad --to csv g.pal >a &&
	test_cmp a b
'

test_expect_success '--exec --grad --chunk 5: one line a row, the same numbers' '
	rm -f calls &&
	pal-label --chunk 5 --exec "echo \$PAL_NROWS >>calls; $grad_oracle" --grad --ordered in.pal >gc.pal &&
	pal-cat --columns id,y,grad --to csv g.pal >a &&
	pal-cat --columns id,y,grad --to csv gc.pal >b && test_cmp a b &&
	printf "5\n5\n2\n" >want.calls && test_cmp want.calls calls
'

test_expect_success '--exec --grad, wrong counts: status 4, grad NaN, k + d expected' '
	pal-label --exec "echo 1 2" --grad --outputs 1 in.pal >b1.pal 2>err &&
	test_grep "row 0 (rank 0): bad output: line 1 has 2 numbers, expected 3 (1 of y, then 2 of the gradient): \"1 2\"" err &&
	pal-cat --columns y,grad,status --to csv b1.pal | sed 1d | sort -u >got &&
	echo "nan,nan,nan,4" >want && test_cmp want got &&
	pal-label --exec "echo 1 2" --grad in.pal >b2.pal 2>err &&
	test_grep "row 0 (rank 0): bad output: line 1 has 2 numbers, expected more than 2 (y, then 2 of the gradient)" err &&
	pal-label --exec "if [ \$PAL_ID = 5 ]; then echo 1 2 3 4; else echo 1 2 3; fi" --grad --ordered in.pal >b3.pal 2>err &&
	test_grep "row 5 (rank 0): bad output: line 1 has 4 numbers, expected 3 (1 of y, then 2 of the gradient)" err &&
	pal-cat --columns id,y,grad,status --to csv b3.pal | sed 1d >got &&
	awk -F, "{ print \$1 (\$1 == 5 ? \",nan,nan,nan,4\" : \",1,2,3,0\") }" in.csv >want &&
	test_cmp want got &&
	pal-label --chunk 3 --exec "echo 1 2 3; echo 4 5" --grad --outputs 1 in.pal >b4.pal 2>err &&
	test_grep "bad output: line 2 has 2 numbers, expected 3 (1 of y, then 2 of the gradient)" err &&
	pal-label --exec "echo 1 nan 3" --grad in.pal >b5.pal 2>err &&
	test_grep "non-finite result on line 1" err &&
	pal-cat --columns status --to csv b5.pal | sed 1d | sort -u >st &&
	echo 6 >want && test_cmp want st
'

test_expect_success '--exec --grad --journal: resumed with the gradient; a run without --grad is another oracle' '
	rm -f gj.journal calls && touch broken &&
	flaky="echo \$PAL_ID >>calls; if [ -e broken ] && [ \$PAL_ID -ge 8 ]; then exit 1; fi; $grad_oracle" &&
	pal-label --journal gj.journal --exec "$flaky" --grad in.pal >j1.pal 2>err &&
	test_grep "4 of 12 rows failed" err &&
	rm broken && rm calls &&
	pal-label --journal gj.journal --retry-failed --exec "$flaky" --grad --ordered in.pal >j2.pal 2>err &&
	sort -n calls >got && printf "8\n9\n10\n11\n" >want && test_cmp want got &&
	pal-cat --columns id,y,grad,status --to csv g.pal >a &&
	pal-cat --columns id,y,grad,status --to csv j2.pal >b && test_cmp a b &&
	rm calls &&
	pal-label --journal gj.journal --exec "$flaky" --grad --ordered in.pal >j3.pal &&
	test ! -e calls &&
	pal-cat --columns id,y,grad,status --to csv j3.pal >b && test_cmp a b &&
	must_fail 1 pal-label --journal gj.journal --exec "$flaky" in.pal >n.pal 2>err &&
	test_grep "journal .gj.journal. is of another oracle (.--exec echo .* --grad., not .echo " err &&
	rm -f ng.journal &&
	pal-label --journal ng.journal --exec "$grad_oracle" in.pal >/dev/null &&
	must_fail 1 pal-label --journal ng.journal --exec "$grad_oracle" --grad in.pal >n.pal 2>err &&
	test_grep "journal .ng.journal. is of another oracle (.awk .*, not .--exec awk .* --grad.)" err &&
	must_fail 1 pal-label --journal ng.journal --journal-any-oracle --exec "$grad_oracle" --grad in.pal >n.pal 2>err &&
	test_grep "journal .ng.journal.: row id [0-9]* has 3 y and 0 gradient elements, this run 3 and 2" err
'

need_mpirun '--exec --grad over MPI ranks'

test_expect_success '--exec --grad on 2 ranks: the gradients of one process' '
	mpi 2 pal-label --exec "$grad_oracle" --grad --ordered -i in.pal -o m.pal </dev/null &&
	pal-cat --columns rank --to csv m.pal | sed 1d | sort -u >ranks &&
	printf "0\n1\n" >want && test_cmp want ranks &&
	pal-cat --columns id,y,grad,status --to csv g.pal >a &&
	pal-cat --columns id,y,grad,status --to csv m.pal >b && test_cmp a b
'

test_done
