#!/bin/sh
# pal-label --journal: a journal is only ever a journal (refused otherwise,
# not a byte written), of one input and one oracle; failed rows are
# journaled with their status and message.
. "$(dirname "$0")/lib.sh"

SQ="'"

csv2pal() { pal-cat --from csv -o "$1"; }
# a.pal and b.pal: the same ids (0-3), other x, as pal-gen in a loop makes.
printf 'x.0,x.1\n0,0\n0.25,0.5\n0.5,0.25\n1,1\n' | csv2pal a.pal
printf 'x.0,x.1\n1,0\n0.75,0.5\n0.5,0.75\n0,1\n' | csv2pal b.pal
# big.pal: a.pal's 4 rows, then 8 more.
{ printf 'x.0,x.1\n0,0\n0.25,0.5\n0.5,0.25\n1,1\n'
  for i in 4 5 6 7 8 9 10 11; do echo "$i,0.5"; done; } | csv2pal big.pal
# w1.pal and w2.pal: a.pal's ids and x, with a column w that differs.
printf 'x.0,x.1,w\n0,0,1\n0.25,0.5,2\n0.5,0.25,3\n1,1,4\n' | csv2pal w1.pal
printf 'x.0,x.1,w\n0,0,1\n0.25,0.5,2\n0.5,0.25,9\n1,1,4\n' | csv2pal w2.pal

ids() { pal-cat --columns id --to csv "$1" | sed 1d; }

# ---- a journal is only ever a journal -----------------------------------

test_expect_success 'a data stream as the journal: refused, not a byte written' '
	cp a.pal v.pal &&
	must_fail 1 pal-label --builtin toy --journal v.pal -o out.pal b.pal 2>err &&
	echo "pal-label: ${SQ}v.pal${SQ} is not a journal (it starts with a data frame, not kind=journal)" >want &&
	test_cmp want err &&
	cmp a.pal v.pal && test ! -e out.pal
'

test_expect_success 'a cut data stream as the journal: refused, not cut' '
	size=$(wc -c <a.pal) &&
	head -c $((size - 20)) a.pal >cut.pal && cp cut.pal cut.orig &&
	must_fail 1 pal-label --builtin toy --journal cut.pal -o out.pal a.pal 2>err &&
	test_grep "cut.pal. is not a journal (it starts with a data frame" err &&
	cmp cut.orig cut.pal && test ! -e out.pal
'

test_expect_success 'a text file as the journal: refused, untouched' '
	echo "id,x" >t.txt && cp t.txt t.orig &&
	must_fail 1 pal-label --builtin toy --journal t.txt -o out.pal a.pal 2>err &&
	test_grep "t.txt. is not a journal (bad magic" err &&
	cmp t.orig t.txt && test ! -e out.pal
'

test_expect_success 'a device or a FIFO as the journal: refused as not a regular file' '
	must_fail 1 pal-label --builtin toy --journal /dev/full -o out.pal a.pal 2>err &&
	echo "pal-label: journal ${SQ}/dev/full${SQ} is not a regular file (a character device)" >want &&
	test_cmp want err && test ! -e out.pal &&
	mkfifo fifo &&
	must_fail 1 timeout 20 pal-label --builtin toy --journal fifo -o out.pal a.pal 2>err &&
	test_grep "journal .fifo. is not a regular file (a FIFO)" err && test ! -e out.pal &&
	mkdir dir &&
	must_fail 1 pal-label --builtin toy --journal dir -o out.pal a.pal 2>err &&
	test_grep "journal .dir. is not a regular file (a directory)" err
'

test_expect_success 'a new journal starts with its kind frame; an empty file is one' '
	pal-label --builtin toy --journal new.j -o /dev/null a.pal &&
	head -c 200 new.j | grep -a -q "kind=journal" &&
	: >empty.j &&
	pal-label --builtin toy --journal empty.j -o e1.pal a.pal &&
	pal-label --builtin toy --journal empty.j -o e2.pal a.pal &&
	pal-cat --to csv e1.pal >a && pal-cat --to csv e2.pal >b && test_cmp a b
'

# ---- one input and one oracle -------------------------------------------

test_expect_success 'a journal of another input: an error naming the id, no output' '
	pal-label --builtin toy --journal ja -o a1.pal a.pal &&
	cp ja ja.orig &&
	must_fail 1 pal-label --builtin toy --journal ja -o out.pal b.pal 2>err &&
	echo "pal-label: input row id 0 differs from the journal${SQ}s row of that id (journal ${SQ}ja${SQ} is of another input)" >want &&
	test_cmp want err && test ! -e out.pal && cmp ja ja.orig
'

test_expect_success 'the fingerprint covers the passed-through columns' '
	pal-label --builtin toy --journal jw -o w1out.pal w1.pal &&
	must_fail 1 pal-label --builtin toy --journal jw -o out.pal w2.pal 2>err &&
	test_grep "input row id 2 differs" err && test ! -e out.pal
'

test_expect_success 'rows of the journal not in the input are never written' '
	pal-label --builtin toy --journal j12 -o b12.pal big.pal &&
	test "$(ids b12.pal | wc -l)" -eq 12 &&
	pal-label --builtin toy --journal j12 -o a4.pal a.pal 2>err &&
	ids a4.pal | sort -n >got && printf "0\n1\n2\n3\n" >want && test_cmp want got &&
	echo "pal-label: journal ${SQ}j12${SQ}: 8 of its rows are not in the input (not written)" >want &&
	test_cmp want err &&
	pal-label --builtin toy --ordered --journal j12 -o a4o.pal a.pal 2>/dev/null &&
	ids a4o.pal >got && printf "0\n1\n2\n3\n" >want && test_cmp want got &&
	pal-label --builtin toy -o fresh.pal a.pal &&
	pal-cat --columns id,x,y --to csv fresh.pal | sort >a &&
	pal-cat --columns id,x,y --to csv a4.pal | sort >b && test_cmp a b
'

oracle1='echo $PAL_ID >>calls; awk "{ print \$1 + \$2 }"'
oracle2='echo $PAL_ID >>calls; awk "{ print \$1 + \$2 + 0 }"'

test_expect_success 'a journal of another oracle: an error, unless --journal-any-oracle' '
	rm -f calls jo &&
	pal-label --exec "$oracle1" --journal jo -o o1.pal a.pal &&
	cp jo jo.orig && rm calls &&
	must_fail 1 pal-label --exec "$oracle2" --journal jo -o out.pal a.pal 2>err &&
	test_grep "journal .jo. is of another oracle" err && test ! -e out.pal &&
	cmp jo jo.orig && test ! -e calls &&
	must_fail 1 pal-label --builtin toy --noise 0.1 --journal ja -o out.pal a.pal 2>err &&
	echo "pal-label: journal ${SQ}ja${SQ} is of another oracle (${SQ}--builtin toy${SQ}, not ${SQ}--builtin toy --noise 0.10000000000000001 --seed 0${SQ}); --journal-any-oracle takes it all the same" >want &&
	test_cmp want err &&
	must_fail 1 pal-label --builtin toy --noise 0.1 --seed 1 --journal ja -o out.pal a.pal 2>/dev/null &&
	must_fail 1 pal-label --builtin toy --grad --journal ja -o out.pal a.pal 2>/dev/null &&
	pal-label --exec "$oracle2" --journal-any-oracle --journal jo -o o2.pal a.pal 2>err &&
	test ! -e calls &&
	test_grep "journal .jo.: of another oracle" err &&
	pal-cat --to csv o1.pal >a && pal-cat --to csv o2.pal >b && test_cmp a b &&
	must_fail 1 pal-label --exec "$oracle2" --journal jo -o out.pal a.pal 2>/dev/null &&
	pal-label --exec "$oracle2" --journal-any-oracle --journal jo -o o3.pal big.pal 2>/dev/null &&
	sort -n calls >got && printf "4\n5\n6\n7\n8\n9\n10\n11\n" >want && test_cmp want got &&
	rm calls &&
	pal-label --exec "$oracle2" --journal jo -o o4.pal big.pal &&
	test ! -e calls &&
	must_fail 1 pal-label --exec "$oracle1" --journal jo -o out.pal big.pal 2>err &&
	test_grep "is of another oracle (.echo" err
'

test_expect_success '--journal-any-oracle and --retry-failed need --journal' '
	must_fail 2 pal-label --builtin toy --journal-any-oracle a.pal 2>err &&
	test_grep "apply to --journal" err &&
	must_fail 2 pal-label --builtin toy --retry-failed a.pal 2>err &&
	test_grep "apply to --journal" err
'

# ---- failed rows are journaled ------------------------------------------

# Row 2 fails ("diverged", status 3) until the file "fixed" exists.
flaky='echo $PAL_ID >>calls; if [ $PAL_ID = 2 ] && [ ! -e fixed ]; then echo diverged >&2; exit 3; fi; echo 1'

test_expect_success 'a journaled failure is reported again, not run again' '
	rm -f calls fixed jf &&
	pal-label --exec "$flaky" --outputs 1 --journal jf -o f1.pal a.pal 2>err1 &&
	sort calls >got && printf "0\n1\n2\n3\n" >want && test_cmp want got &&
	sed -n "s/^pal-label: row 2 (rank 0): //p" err1 >msg1 &&
	test -s msg1 &&
	rm calls && touch fixed &&
	pal-label --exec "$flaky" --outputs 1 --journal jf -o f2.pal a.pal 2>err2 &&
	test ! -e calls &&
	sed -n "s/^pal-label: row 2 (rank 0, journal ${SQ}jf${SQ}): //p" err2 >msg2 &&
	test_cmp msg1 msg2 &&
	test_grep "1 of 4 rows failed (kept with their status): 1 exit" err2 &&
	test_grep "1 of the failed rows failed in an earlier run (journal .jf.; --retry-failed runs them again)" err2 &&
	pal-cat --columns id,status --to csv f1.pal | sort >a &&
	pal-cat --columns id,status --to csv f2.pal | sort >b &&
	test_cmp a b && grep -q "^2,1$" b &&
	pal-label --exec "$flaky" --outputs 1 --on-fail skip --journal jf -o f3.pal a.pal 2>err3 &&
	test ! -e calls &&
	ids f3.pal | sort >got && printf "0\n1\n3\n" >want && test_cmp want got &&
	test_grep "1 of 4 rows failed (skipped)" err3 &&
	must_fail 1 pal-label --exec "$flaky" --outputs 1 --on-fail abort --journal jf -o f4.pal a.pal 2>/dev/null &&
	test ! -e calls
'

test_expect_success '--retry-failed runs the failed rows again, once' '
	rm -f calls &&
	pal-label --exec "$flaky" --outputs 1 --retry-failed --journal jf -o r1.pal a.pal 2>err &&
	echo 2 >want && test_cmp want calls &&
	test_grep "journal .jf.: 1 failed row run again (--retry-failed)" err &&
	pal-cat --columns status --to csv r1.pal | sed 1d | sort -u >st &&
	echo 0 >want && test_cmp want st &&
	rm calls &&
	pal-label --exec "$flaky" --outputs 1 --journal jf -o r2.pal a.pal 2>err &&
	test ! -e calls && test ! -s err &&
	pal-cat --columns id,y,status --to csv r1.pal | sort >a &&
	pal-cat --columns id,y,status --to csv r2.pal | sort >b && test_cmp a b
'

test_expect_success 'a failure retried that fails again is reported with its new message' '
	rm -f calls fixed jg &&
	pal-label --exec "$flaky" --outputs 1 --journal jg -o g1.pal a.pal 2>/dev/null &&
	rm calls &&
	pal-label --exec "$flaky" --outputs 1 --retry-failed --journal jg -o g2.pal a.pal 2>/dev/null &&
	echo 2 >want && test_cmp want calls && rm calls &&
	pal-label --exec "$flaky" --outputs 1 --journal jg -o g3.pal a.pal 2>err &&
	test ! -e calls &&
	test_grep "row 2 (rank 0, journal .jg.): exited with status 3" err &&
	! grep "not in the input" err
'

test_done
