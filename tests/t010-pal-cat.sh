#!/bin/sh
# pal-cat: concatenation, CSV/TSV conversion, the options, and its errors.
. "$(dirname "$0")/lib.sh"

cat >in.csv <<'CSV'
x.0,x.1,y
1,2,3
0.1,0.2,nan
-1e300,4,5e-324
CSV

test_expect_success 'CSV to stream to CSV is exact' '
	pal-cat --from csv in.csv >a.pal &&
	pal-cat --to csv a.pal >out.csv &&
	cat >expect <<-CSV &&
	id,x.0,x.1,y
	0,1,2,3
	1,0.1,0.2,nan
	2,-1e+300,4,4.94065645841247e-324
	CSV
	test_cmp expect out.csv &&
	pal-cat --from csv out.csv | pal-cat --to csv >again.csv &&
	test_cmp out.csv again.csv
'

test_expect_success 'a CSV round trip keeps every bit of random doubles' '
	awk "BEGIN { srand(7); print \"v\";
		for (i = 0; i < 2000; i++) printf \"%.17g\n\", (rand() - 0.5) * 10 ^ int(rand() * 40 - 20) }" >r.csv &&
	pal-cat --from csv r.csv -o r.pal &&
	pal-cat --to csv r.pal | pal-cat --from csv -o r2.pal &&
	cmp r.pal r2.pal
'

test_expect_success 'TSV round trip, and TSV equals CSV with tabs' '
	pal-cat --to tsv a.pal >out.tsv &&
	tr , "\t" <out.csv >expect.tsv &&
	test_cmp expect.tsv out.tsv &&
	pal-cat --from tsv out.tsv -o t.pal &&
	cmp a.pal t.pal
'

test_expect_success 'a single stream passes through byte for byte' '
	pal-cat <a.pal >same.pal &&
	cmp a.pal same.pal &&
	pal-cat - <a.pal | cmp a.pal -
'

test_expect_success 'cat a b reads as both, in order' '
	printf "x.0,x.1,y\n7,8,9\n" | pal-cat --from csv -o b.pal &&
	cat a.pal b.pal | pal-cat --to csv >ab.csv &&
	pal-cat --to csv a.pal b.pal >ab2.csv &&
	test_cmp ab.csv ab2.csv &&
	{ cat out.csv; echo "0,7,8,9"; } >expect &&
	test_cmp expect ab.csv &&
	cat a.pal b.pal | pal-cat --verify
'

test_expect_success 'compressed and uncompressed give the same rows' '
	pal-fill -s 4 >big.pal &&
	pal-cat --compress big.pal >z.pal &&
	pal-cat --info z.pal >zinfo &&
	test_grep "^frames   5 data, 0 metadata (5 compressed)" zinfo &&
	test $(wc -c <z.pal) -lt $(wc -c <big.pal) &&
	pal-cat --to csv big.pal >big.csv &&
	pal-cat --to csv z.pal >z.csv &&
	test_cmp big.csv z.csv &&
	pal-cat --decompress z.pal | cmp big.pal - &&
	pal-cat --compress=1 big.pal | pal-cat --compress=9 | pal-cat --decompress | cmp big.pal -
'

test_expect_success 'frames are about 1 MiB; --rows re-batches' '
	pal-cat --info big.pal >info &&
	rows=$(awk "/^rows/ { print \$2 }" info) &&
	per=$((1048576 / 72)) &&
	test_grep "^frames   $(( (rows + per - 1) / per )) data" info &&
	pal-cat --rows 1000 big.pal | pal-cat --info >info2 &&
	rows=$(awk "/^rows/ { print \$2 }" info) &&
	frames=$(( (rows + 999) / 1000 )) &&
	test_grep "^frames   $frames data" info2 &&
	pal-cat --rows 1000 big.pal | pal-cat --to csv | cmp big.csv -
'

test_expect_success '--info shows schema, counts and column statistics' '
	pal-cat --info a.pal >info &&
	cat >expect <<-EOF &&
	frames   1 data, 0 metadata (0 compressed)
	rows     3
	bytes    216
	column           dtype  width            min           mean            max      nan
	id               u64        1              0              1              2        0
	x                f64        2        -1e+300  -1.66667e+299              4        0
	y                f64        1   4.94066e-324            1.5              3        1
	EOF
	test_cmp expect info
'

test_expect_success '--columns keeps and orders columns' '
	pal-cat --columns y,id a.pal | pal-cat --to csv >cols.csv &&
	printf "y,id\n3,0\nnan,1\n4.94065645841247e-324,2\n" >expect &&
	test_cmp expect cols.csv
'

test_expect_success '--columns naming a missing column fails (1), naming the file' '
	must_fail 1 pal-cat --columns id,nope a.pal >out 2>err &&
	test_grep "pal-cat: no column .nope. (a.pal: frame 0 at offset 0)" err &&
	must_fail 1 pal-cat --columns id,nope <a.pal >out 2>err &&
	test_grep "pal-cat: no column .nope. (stdin: frame 0 at offset 0)" err &&
	must_fail 1 pal-cat --columns id,nope a.pal - <a.pal >out 2>err &&
	test_grep "pal-cat: no column .nope. (a.pal: frame 0" err
'

test_expect_success '--to with changing columns fails (1), naming the file' '
	pal-cat --columns id a.pal >ida.pal &&
	cat a.pal ida.pal >mixed.pal &&
	must_fail 1 pal-cat --to csv mixed.pal >out 2>err &&
	test_grep "pal-cat: columns change (mixed.pal: frame 2 at offset 264): --to needs one schema; use --columns" err &&
	must_fail 1 pal-cat --to csv a.pal - <ida.pal >out 2>err &&
	test_grep "pal-cat: columns change (stdin: frame 0 at offset 0)" err
'

test_expect_success '--to writes NaN as nan, whatever its sign bit' '
	printf "a,b\n-nan,nan\n" | pal-cat --from csv --type b=f32 >nan.pal &&
	pal-cat --to csv nan.pal >nan.csv &&
	printf "id,a,b\n0,nan,nan\n" >expect && test_cmp expect nan.csv &&
	pal-cat --to tsv nan.pal >nan.tsv &&
	printf "id\ta\tb\n0\tnan\tnan\n" >expect && test_cmp expect nan.tsv
'

test_expect_success 'CSV numbers are decimal, and none silently becomes inf or 0' '
	for v in 0x10 0x1p-3 1e999 -1e999 1e-400; do
		printf "x\n$v\n" | must_fail 1 pal-cat --from csv >out 2>err &&
		test_grep "^pal-cat: bad f64 value .$v. in column .x.: " err || exit 1
	done &&
	test_grep "too close to zero (stdin: line 2)" err &&
	for v in 1e39 -1e39 1e-50; do
		printf "x\n$v\n" | must_fail 1 pal-cat --from csv --type x=f32 >out 2>err &&
		test_grep "^pal-cat: bad f32 value .$v. in column .x.: " err || exit 1
	done &&
	printf "x\n1e-320\n1e308\n-0e-999\n" | pal-cat --from csv | pal-cat --to csv >got &&
	printf "id,x\n0,9.99988867182683e-321\n1,1e+308\n2,-0\n" >want &&
	test_cmp want got
'

test_expect_success '--info is linear in the number of schemas (200000 in under 20 s; 60 s if quadratic)' '
	pal-schemas 200000 >schemas.pal &&
	timeout 20 pal-cat --info schemas.pal >info &&
	test "$(grep -c "^c[0-9]* *u8 *1 " info)" -eq 200000 &&
	test_grep "^frames   200000 data" info &&
	sed -n "5p;\$p" info >ends &&
	grep -q "^c0 " ends && grep -q "^c199999 " ends
'

test_expect_success '--head stops after n rows with a clean end' '
	pal-cat --head 2 a.pal | pal-cat --to csv >head.csv &&
	head -3 out.csv >expect &&
	test_cmp expect head.csv &&
	pal-cat --head 0 a.pal | pal-cat --info >info &&
	test_grep "^rows     0" info &&
	pal-cat --head 5000 big.pal | pal-cat --verify
'

test_expect_success 'CSV without id numbers rows on across inputs' '
	printf "a\n1\n2\n" >p.csv && printf "a\n3\n" >q.csv &&
	pal-cat --from csv p.csv q.csv | pal-cat --to csv >ids.csv &&
	printf "id,a\n0,1\n1,2\n2,3\n" >expect &&
	test_cmp expect ids.csv
'

test_expect_success 'CSV with id, status and --type keeps the types' '
	printf "# comment\n\nid,status,step,e\r\n10,-1,3,0.5\r\n\"11\", 0 ,4,0.25\n" >typed.csv &&
	pal-cat --from csv --type step=i64,e=f32 typed.csv | pal-cat --info >info &&
	test_grep "^id  *u64" info &&
	test_grep "^status  *i32" info &&
	test_grep "^step  *i64" info &&
	test_grep "^e  *f32" info &&
	pal-cat --from csv --type step=i64 --type e=f32 typed.csv | pal-cat --to csv >typed.out &&
	printf "id,status,step,e\n10,-1,3,0.5\n11,0,4,0.25\n" >expect &&
	test_cmp expect typed.out
'

test_expect_success 'bad CSV is reported with its line (1)' '
	printf "a,b\n1,2\n3\n" >short.csv &&
	must_fail 1 pal-cat --from csv short.csv >out 2>err &&
	test_grep "pal-cat: fewer fields, the header has 2 (short.csv: line 3)" err &&
	printf "a,b\n1,x2\n" >bad.csv &&
	must_fail 1 pal-cat --from csv bad.csv >out 2>err &&
	test_grep "bad f64 value .x2. in column .b.*line 2" err &&
	printf "x.1,x.0\n1,2\n" >order.csv &&
	must_fail 1 pal-cat --from csv order.csv >out 2>err &&
	test_grep "invalid column name\|does not follow" err &&
	printf "a,a\n1,2\n" >dup.csv &&
	must_fail 1 pal-cat --from csv dup.csv 2>err >out &&
	test_grep "duplicate column .a." err &&
	: >empty.csv &&
	must_fail 1 pal-cat --from csv empty.csv 2>err >out &&
	test_grep "no header line" err &&
	printf "status\n3000000000\n" >range.csv &&
	must_fail 1 pal-cat --from csv range.csv 2>err >out &&
	test_grep "bad i32 value .3000000000.*too large" err
'

test_expect_success 'a failed run never leaves output that looks complete' '
	must_fail 1 pal-cat --from csv short.csv >partial.pal 2>err &&
	must_fail 1 pal-cat --verify partial.pal 2>err &&
	cp a.pal keep.pal &&
	must_fail 1 pal-cat --from csv short.csv -o keep.pal 2>err &&
	cmp a.pal keep.pal &&
	test -z "$(ls | grep tmp)"
'

test_expect_success '--verify checks each input, reports each bad one' '
	head -c 150 a.pal >cut.pal &&
	must_fail 1 pal-cat --verify a.pal cut.pal b.pal cut.pal 2>err &&
	test $(grep -c "truncated payload.*cut.pal" err) = 2 &&
	pal-cat --verify a.pal b.pal
'

test_expect_success 'empty input and a missing file are errors (1)' '
	must_fail 1 pal-cat </dev/null >out 2>err &&
	test_grep "empty input, not a pal stream (stdin)" err &&
	must_fail 1 pal-cat nonexistent.pal >out 2>err &&
	test_grep "pal-cat: cannot open .nonexistent.pal.: No such file" err
'

test_expect_success 'CSV fed as a stream is bad magic (1)' '
	must_fail 1 pal-cat in.csv >out 2>err &&
	test_grep "bad magic: not a pal stream (in.csv: frame 0 at offset 0)" err
'

test_expect_success 'usage errors exit 2 with a message' '
	must_fail 2 pal-cat --to xml a.pal 2>err && test_grep "unknown format .xml." err &&
	must_fail 2 pal-cat --compress=10 a.pal 2>err && test_grep ".10. is too large" err &&
	must_fail 2 pal-cat --info --to csv a.pal 2>err && test_grep "at most one" err &&
	must_fail 2 pal-cat --type a=f64 a.pal 2>err && test_grep "only with --from" err &&
	must_fail 2 pal-cat --rows 0 a.pal 2>err && test_grep "too small" err &&
	must_fail 2 pal-cat --head -1 a.pal 2>err && test_grep ".-1. is too small" err &&
	must_fail 2 pal-cat --columns "a b" a.pal 2>err && test_grep "invalid column name" err &&
	must_fail 2 pal-cat --from csv --type a=f16 in.csv 2>err && test_grep "unknown dtype" err &&
	must_fail 2 pal-cat --compress --decompress a.pal 2>err &&
	must_fail 2 pal-cat --verify -o x.pal a.pal 2>err &&
	must_fail 2 pal-cat --bogus 2>err && test_grep "^usage: pal-cat" err &&
	must_fail 2 pal-cat --columns id, a.pal 2>err &&
	test_grep "^pal-cat: --columns: empty item in .id,.$" err &&
	must_fail 2 pal-cat --columns ,id a.pal 2>err &&
	must_fail 2 pal-cat --from csv --type a=f32,,b=u8 in.csv 2>err &&
	test_grep "^pal-cat: --type: empty item in .a=f32,,b=u8.$" err
'

test_expect_success 'a full disk is an error (1), whatever the output' '
	must_fail 1 pal-cat a.pal >/dev/full 2>err &&
	test_grep "write error at offset 0: No space left on device (stdout)" err &&
	must_fail 1 pal-cat a.pal -o /dev/full 2>err &&
	test_grep "No space left on device (/dev/full)" err &&
	must_fail 1 pal-cat --to csv a.pal >/dev/full 2>err &&
	test_grep "write error on .stdout.: No space left" err &&
	must_fail 1 pal-cat --info a.pal >/dev/full 2>err &&
	must_fail 1 pal-cat --help >/dev/full 2>err
'

test_expect_success '--help and --version exit 0 on stdout' '
	pal-cat --help >help &&
	test_grep "^usage: pal-cat" help &&
	pal-cat -h >help2 && test_cmp help help2 &&
	pal-cat --version >version &&
	test_grep "^pal-cat [0-9]" version
'

if command -v script >/dev/null 2>&1; then
	test_expect_success 'a terminal on stdin is a usage error (2), not a silent wait' '
		script -qec "pal-cat --info; echo status \$?" /dev/null >tty.out 2>&1 </dev/null;
		grep -q "standard input is a terminal: give a file, or pipe a pal stream in" tty.out &&
		grep -q "status 2" tty.out &&
		script -qec "pal-cat --verify - a.pal; echo status \$?" /dev/null >tty.out 2>&1 </dev/null;
		grep -q "standard input is a terminal" tty.out &&
		script -qec "pal-cat --info a.pal; echo status \$?" /dev/null >tty.out 2>&1 </dev/null;
		grep -q "status 0" tty.out &&
		script -qec "pal-cat a.pal | pal-cat --info; echo status \$?" /dev/null >tty.out 2>&1 </dev/null;
		grep -q "status 0" tty.out &&
		for cmd in "pal-select --top 1 -o s.pal" "pal-select --top 1 -o s.pal --exclude - a.pal" \
			"pal-gen --perturb 1 -o g.pal" "pal-gen --walk langevin --dt 1 --temperature 0 -i - -o g.pal"; do
			script -qec "$cmd; echo status \$?" /dev/null >tty.out 2>&1 </dev/null;
			grep -q "standard input is a terminal: give a file, or pipe a pal stream in" tty.out &&
			grep -q "status 2" tty.out || { echo "$cmd:"; cat tty.out; exit 1; }
		done
	'
	test_expect_success 'refuses to write a binary stream to a terminal' '
		script -qec "pal-cat a.pal" /dev/null >tty.out 2>&1 </dev/null;
		grep -q "refusing to write a binary stream to a terminal" tty.out &&
		script -qec "pal-cat --to csv a.pal" /dev/null >tty.out 2>&1 </dev/null &&
		grep -q "^id,x.0" tty.out
	'
else
	test_skip 'refuses to write a binary stream to a terminal' 'no script(1)'
fi

test_expect_success 'a reader that goes away ends pal-cat quietly (SIGPIPE)' '
	{ pal-cat --to csv big.pal 2>err; echo $? >status; } | head -1 >/dev/null &&
	test "$(cat status)" = 141 &&
	test ! -s err
'

test_done
