#!/bin/sh
# pal-label --builtin: the functions at their known optima, --grad against
# finite differences computed with pal-label itself, --noise, --delay,
# columns passed through, and usage and data errors.
. "$(dirname "$0")/lib.sh"

# csv2pal: CSV on stdin (a header of x.0,x.1,...) to a stream with ids.
csv2pal() { pal-cat --from csv -o "$1"; }
# ycol FILE: the y column of a stream, one value per line.
ycol() { pal-cat --columns y --to csv "$1" | sed 1d; }

# near TOL: each line "got want" must agree within TOL (absolute).
near() {
	awk -v tol="$1" '{ d = $1 - $2; if (d < 0) d = -d;
		if (d > tol || $1 != $1) { print "line " NR ": got " $1 ", want " $2; bad = 1 } }
		END { if (NR == 0) { print "no lines"; exit 1 } exit bad }'
}

test_expect_success 'Branin is 0.397887 at its three minima' '
	printf "x.0,x.1\n-3.141592653589793,12.275\n3.141592653589793,2.275\n9.42477796076938,2.475\n" |
	csv2pal min.pal &&
	pal-label --builtin branin min.pal >out.pal &&
	ycol out.pal | awk "{ print \$1, 0.397887 }" | near 1e-6
'

test_expect_success 'Hartmann6 is -3.32237 at its minimum, higher elsewhere' '
	printf "x.0,x.1,x.2,x.3,x.4,x.5\n0.20169,0.150011,0.476874,0.275332,0.311652,0.6573\n0.5,0.5,0.5,0.5,0.5,0.5\n" |
	csv2pal h.pal &&
	pal-label --builtin hartmann6 -i h.pal -o out.pal &&
	ycol out.pal >y &&
	head -1 y | awk "{ print \$1, -3.32237 }" | near 1e-5 &&
	tail -1 y | awk "{ exit !(\$1 > -3.3) }"
'

test_expect_success 'Mueller-Brown has its three minima, with zero gradient' '
	printf "x.0,x.1\n-0.55822,1.44173\n0.62350,0.02804\n-0.05001,0.46669\n" |
	csv2pal mb.pal &&
	pal-label --builtin mueller-brown --grad mb.pal >out.pal &&
	ycol out.pal >y &&
	printf "%s\n" -146.6995 -108.1667 -80.7678 >want &&
	paste -d" " y want | near 1e-3 &&
	pal-cat --columns grad --to csv out.pal | sed 1d | tr , "\n" |
	awk "{ print \$1, 0 }" | near 0.05
'

test_expect_success 'other optima: rosenbrock, ackley, toy, lj dimer' '
	printf "x.0,x.1,x.2\n1,1,1\n0,0,0\n" | csv2pal r.pal &&
	pal-label --builtin rosenbrock r.pal | pal-cat --columns y --to csv |
	sed -n 2p | awk "{ print \$1, 0 }" | near 1e-12 &&
	pal-label --builtin ackley r.pal | pal-cat --columns y --to csv |
	sed -n 3p | awk "{ print \$1, 0 }" | near 1e-12 &&
	printf "x.0,x.1\n0.5,0.5\n" | csv2pal t.pal &&
	pal-label --builtin toy t.pal | pal-cat --columns y --to csv |
	sed -n 2p | awk "{ print \$1, 0 }" | near 0 &&
	r=$(awk "BEGIN { printf \"%.17g\", 2 ^ (1 / 6) }") &&
	printf "x.0,x.1,x.2,x.3,x.4,x.5\n0,0,0,$r,0,0\n" | csv2pal lj.pal &&
	pal-label --builtin lj lj.pal | pal-cat --columns y --to csv |
	sed -n 2p | awk "{ print \$1, -1 }" | near 1e-12
'

# fd_check FN D POINTS: --grad against central differences of pal-label's
# own y at x +- h e_j, the shifted inputs made by awk.
fd_check() {
	fn=$1 d=$2
	awk -v d="$d" -v h=1e-5 -F, '
		NR == 1 { hdr = $0; print hdr > "base.csv"; print hdr > "shift.csv"; next }
		{ print > "base.csv"
		  for (j = 1; j <= d; j++) for (s = -1; s <= 1; s += 2) {
			line = ""
			for (i = 1; i <= d; i++) {
				v = $i + (i == j ? s * h : 0)
				line = line (i > 1 ? "," : "") sprintf("%.17g", v)
			}
			print line > "shift.csv"
		  } }' &&
	csv2pal base.pal <base.csv && csv2pal shift.pal <shift.csv &&
	pal-label --builtin "$fn" --grad base.pal >g.pal &&
	pal-label --builtin "$fn" shift.pal >s.pal &&
	pal-cat --columns grad --to csv g.pal | sed 1d | tr , "\n" >analytic &&
	ycol s.pal | paste -d" " - - |
		awk "{ printf \"%.17g\n\", (\$2 - \$1) / 2e-5 }" >fd &&
	test "$(wc -l <analytic)" -eq "$(wc -l <fd)" &&
	paste -d" " analytic fd |
	awk "{ d = \$1 - \$2; if (d < 0) d = -d; s = \$2 < 0 ? -\$2 : \$2;
		if (d > 1e-4 * (1 + s)) { print \"component \" NR \": \" \$0; bad = 1 } }
		END { exit bad }"
}

test_expect_success '--grad agrees with finite differences (branin)' '
	printf "x.0,x.1\n1,2\n-2.5,7\n8,13\n" | fd_check branin 2
'
test_expect_success '--grad agrees with finite differences (hartmann6)' '
	printf "x.0,x.1,x.2,x.3,x.4,x.5\n0.1,0.2,0.3,0.4,0.5,0.6\n0.9,0.1,0.5,0.3,0.7,0.2\n" |
	fd_check hartmann6 6
'
test_expect_success '--grad agrees with finite differences (mueller-brown, rosenbrock, ackley, toy)' '
	printf "x.0,x.1\n-0.3,0.9\n0.4,0.2\n" | fd_check mueller-brown 2 &&
	printf "x.0,x.1,x.2\n0.3,-0.7,1.5\n" | fd_check rosenbrock 3 &&
	printf "x.0,x.1,x.2\n0.3,-0.7,1.5\n" | fd_check ackley 3 &&
	printf "x.0,x.1,x.2\n0.3,0.7,0.15\n" | fd_check toy 3
'
test_expect_success '--grad agrees with finite differences (lj, 3 atoms)' '
	printf "x.0,x.1,x.2,x.3,x.4,x.5,x.6,x.7,x.8\n0,0,0,1.2,0.1,0,0.5,1.0,0.2\n" |
	fd_check lj 9
'

awk 'BEGIN { print "x.0,x.1,tag"; for (i = 0; i < 2000; i++) printf "%.6f,%.6f,%d\n", (i % 37) / 37, (i % 101) / 101, 3 * i }' |
	csv2pal in.pal

test_expect_success 'other columns pass through; y, status are replaced' '
	pal-label --builtin toy in.pal >a.pal &&
	pal-cat --columns id,x,tag --to csv in.pal >want &&
	pal-cat --columns id,x,tag --to csv a.pal >got &&
	test_cmp want got &&
	pal-cat --to csv a.pal | head -1 >hdr &&
	echo "id,x.0,x.1,tag,y,status,t_start,t_end,rank" >want.hdr &&
	test_cmp want.hdr hdr &&
	pal-label --builtin branin a.pal >b.pal &&
	pal-cat --to csv b.pal | head -1 >hdr2 &&
	test_cmp want.hdr hdr2 &&
	pal-cat --columns status --to csv b.pal | sed 1d | sort -u >st &&
	echo 0 >want.st && test_cmp want.st st
'

test_expect_success '--noise: seeded, per row, with the right spread' '
	pal-label --builtin toy in.pal >clean.pal &&
	pal-label --builtin toy --noise 0.5 --seed 3 in.pal >n1.pal &&
	pal-label --builtin toy --noise 0.5 --seed 3 --ordered in.pal >n2.pal &&
	pal-label --builtin toy --noise 0.5 --seed 4 in.pal >n3.pal &&
	ycol n1.pal >y1 && ycol n2.pal >y2 && ycol n3.pal >y3 &&
	test_cmp y1 y2 && ! cmp -s y1 y3 &&
	ycol clean.pal | paste -d" " y1 - |
	awk "{ e = \$1 - \$2; s += e; ss += e * e }
		END { m = s / NR; sd = sqrt(ss / NR - m * m);
		      print \"mean\", m, \"sd\", sd;
		      exit !(m < 0.05 && m > -0.05 && sd > 0.45 && sd < 0.55) }"
'

test_expect_success '--delay: each row lasts its delay, -j runs them at once' '
	printf "x.0\n1\n2\n3\n4\n" | csv2pal four.pal &&
	pal-label --builtin toy --delay 50ms -j 4 four.pal >d.pal &&
	pal-cat --columns t_start,t_end --to csv d.pal | sed 1d | tr , " " >t &&
	awk "{ if (\$2 - \$1 < 0.049) bad = 1;
		if (NR == 1 || \$1 > ms) ms = \$1; if (NR == 1 || \$2 < me) me = \$2 }
		END { exit bad || !(ms < me) }" t &&
	pal-label --builtin toy --delay uniform:1ms:3ms four.pal >u.pal &&
	pal-cat --columns t_start,t_end --to csv u.pal | sed 1d | tr , " " |
	awk "{ d = \$2 - \$1; if (d < 0.00099) exit 1 }" &&
	pal-label --builtin toy --delay exp:1ms --seed 9 four.pal >e.pal
'

test_expect_success 'input from stdin, -i or the argument; output to -o' '
	pal-label --builtin toy <in.pal >s1.pal &&
	pal-label --builtin toy -i in.pal -o s2.pal &&
	pal-label --builtin toy -o s3.pal in.pal &&
	for f in s1 s2 s3; do
		pal-cat --columns id,y --to csv $f.pal | sort >$f.csv || exit 1
	done &&
	test_cmp s1.csv s2.csv && test_cmp s1.csv s3.csv &&
	test "$(wc -l <s1.csv)" -eq 2001
'

test_expect_success 'an input of no rows gives a stream of no rows' '
	pal-cat --head 0 in.pal >empty.pal &&
	pal-label --builtin toy empty.pal >out.pal &&
	pal-cat --info out.pal >info &&
	test_grep "^rows     0" info
'

test_expect_success 'usage errors exit 2' '
	must_fail 2 pal-label <in.pal 2>err && test_grep "one of --builtin and --exec" err &&
	must_fail 2 pal-label --builtin toy --exec cat <in.pal 2>err &&
	must_fail 2 pal-label --builtin nosuch <in.pal 2>err && test_grep "unknown function" err &&
	must_fail 2 pal-label --exec cat --noise 0.1 <in.pal 2>err && test_grep "noise and --delay apply to --builtin" err &&
	must_fail 2 pal-label --builtin toy --delay 5parsecs <in.pal 2>err && test_grep "duration" err &&
	must_fail 2 pal-label --builtin toy --delay uniform:5ms <in.pal 2>err &&
	must_fail 2 pal-label --builtin toy --timeout 1s <in.pal 2>err &&
	must_fail 2 pal-label --exec cat --on-fail maybe <in.pal 2>err && test_grep "unknown policy" err &&
	must_fail 2 pal-label --builtin toy -j 0 <in.pal 2>err &&
	must_fail 2 pal-label --builtin toy --noise -1 <in.pal 2>err &&
	must_fail 2 pal-label --builtin toy a b 2>err &&
	must_fail 2 pal-label --builtin toy --no-such <in.pal 2>err && test_grep "^usage: pal-label" err
'

test_expect_success 'data errors exit 1 with a message' '
	printf "x.0,x.1,x.2\n1,2,3\n" | csv2pal three.pal &&
	must_fail 1 pal-label --builtin branin three.pal >/dev/null 2>err &&
	test_grep "branin needs" err &&
	must_fail 1 pal-label --builtin hartmann6 in.pal >/dev/null 2>err &&
	test_grep "hartmann6 needs" err &&
	printf "a,b\n1,2\n" | csv2pal nox.pal &&
	must_fail 1 pal-label --builtin toy nox.pal >/dev/null 2>err &&
	test_grep "no column .x." err &&
	head -c 300 in.pal >cut.pal &&
	must_fail 1 pal-label --builtin toy cut.pal >/dev/null 2>err &&
	test_grep "truncated\|cut short" err &&
	must_fail 1 pal-label --builtin toy no-such-file >/dev/null 2>err &&
	test_grep "cannot open" err &&
	must_fail 1 pal-label --builtin toy in.pal -o no/such/dir/out.pal 2>err
'

test_expect_success 'the man page lists the built-ins as testfn.c does' '
	sed -n "/^\.Bl/,\$p" "$TOP/man/pal-label-builtins.txt" >frag &&
	sed -n "/^\.Ss Built-in functions/,/^\.Ss External/p" "$TOP/man/pal-label.1" |
	sed "1d;\$d" >page &&
	test_cmp frag page &&
	pal-label --help >help &&
	for f in branin hartmann6 ackley rosenbrock mueller-brown lj toy; do
		grep -q "^  $f " help || { echo "--help lacks $f"; exit 1; }
	done
'

test_done
