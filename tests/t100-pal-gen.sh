#!/bin/sh
# pal-gen: designs, steps from old points, --exec, usage and data errors.
#
# Expected values are computed here independently (awk), or are published
# ones, cited where they appear; statistics are checked against tolerances
# of at least 4 standard errors, so a correct program fails them with
# probability well below 1e-4 (and the seeds are fixed anyway).
. "$(dirname "$0")/lib.sh"

# x columns of a stream as CSV lines without the header: "x0,x1,..."
xs() {
	pal-cat --to csv "$@" | awk -F, 'NR == 1 {
		for (i = 1; i <= NF; i++) if ($i ~ /^x(\.[0-9]+)?$/) { if (!f) f = i; l = i }
		next }
		{ s = $f; for (i = f + 1; i <= l; i++) s = s "," $i; print s }'
}

# Column NAME of a stream's CSV (a width-1 column), one value per line.
col() {
	pal-cat --to csv "$2" | awk -F, -v c="$1" 'NR == 1 {
		for (i = 1; i <= NF; i++) if ($i == c) k = i
		if (!k) { print "no column " c > "/dev/stderr"; exit 1 }
		next } { print $k }'
}

# Compare two files of comma-separated numbers, exactly or within TOL.
cmp_num() {
	awk -F, -v tol="${3:-0}" '
		FNR == NR { n1 = FNR; for (i = 1; i <= NF; i++) e[FNR, i] = $i; w[FNR] = NF; next }
		{ n2 = FNR
		  if (NF != w[FNR]) { printf "line %d: %d fields, expected %d\n", FNR, NF, w[FNR]; bad++; next }
		  for (i = 1; i <= NF; i++) {
			d = $i - e[FNR, i]; if (d < 0) d = -d
			if (d > tol) { if (bad++ < 5) printf "line %d field %d: got %s expected %s\n", FNR, i, $i, e[FNR, i] }
		  } }
		END { if (n1 != n2) { printf "%d lines, expected %d\n", n2, n1; bad++ }
		      exit bad > 0 }' "$1" "$2"
}

test_expect_success '--help and --version exit 0 on stdout' '
	pal-gen --help >help &&
	test_grep "^usage: pal-gen" help &&
	pal-gen --version >version &&
	test_grep "^pal-gen [0-9]" version
'

test_expect_success 'usage text and the man page SYNOPSIS name the same options' '
	pal-gen --help | sed -n "/^usage:/,/^\$/p" | grep -o -- "--[a-z-]*" |
		sort -u >opts-usage &&
	sed -n "/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p" "$TOP/man/pal-gen.1" |
		grep -o "Fl \\\\-[a-z\\\\-]*" | sed "s/\\\\//g; s/^Fl /-/" |
		sort -u >opts-man &&
	test_cmp opts-usage opts-man
'

for m in uniform normal sobol halton lhs grid; do
	test_expect_success "$m: the same seed gives the same bytes" "
		pal-gen --method $m --n 50 --bounds 0:1,-2:3,5:6 --seed 11 >a.pal &&
		pal-gen --method $m --n 50 --bounds 0:1,-2:3,5:6 --seed 11 >b.pal &&
		cmp a.pal b.pal &&
		pal-cat --verify a.pal
	"
done

test_expect_success 'uniform: another seed gives other points' '
	pal-gen --method uniform --n 10 --dim 2 --seed 1 | xs >a &&
	pal-gen --method uniform --n 10 --dim 2 --seed 2 | xs >b &&
	! cmp -s a b
'

test_expect_success 'ids are start-id, start-id+1, ... over several frames' '
	pal-gen --method uniform --n 100000 --dim 2 --start-id 7 >big.pal &&
	pal-cat --info big.pal >info &&
	awk "/^frames/ && \$2 > 1 { ok = 1 } END { exit !ok }" info &&
	col id big.pal | awk "\$1 != NR + 6 { bad++ } END { exit bad || NR != 100000 }"
'

test_expect_success 'sobol: --skip and --start-id continue a campaign' '
	pal-gen --method sobol --n 16 --dim 5 | pal-cat --to csv | tail -n 8 >whole &&
	pal-gen --method sobol --n 8 --dim 5 --skip 8 --start-id 8 |
		pal-cat --to csv | tail -n +2 >cont &&
	test_cmp whole cont
'

# The first 8 points of the 2-D Sobol sequence with Joe-Kuo direction
# numbers in Gray-code order, starting at the origin: published in scipy's
# test suite (scipy/stats/tests/test_qmc.py, TestSobol.unscramble_nd,
# "theoretical values from Joe Kuo2010").
test_expect_success 'sobol: first 2-D points are the published ones' '
	cat >expect <<-EOF &&
	0,0
	0.5,0.5
	0.75,0.25
	0.25,0.75
	0.375,0.375
	0.875,0.875
	0.625,0.125
	0.125,0.625
	EOF
	pal-gen --method sobol --n 8 --dim 2 | xs >actual &&
	cmp_num expect actual
'

# Lines "d s a m_1 ... m_s" for dimensions 2 to 8 of new-joe-kuo-6.21201
# (S. Joe and F. Y. Kuo, https://web.maths.unsw.edu.au/~fkuo/sobol/).
cat >joe-kuo <<'EOF'
2       1       0       1
3       2       1       1 3
4       3       1       1 3 1
5       3       2       1 1 1
6       4       1       1 1 3 3
7       4       4       1 3 5 13
8       5       2       1 1 5 5 17
EOF

test_expect_success 'sobol: 8-D points match an independent awk Sobol generator' '
	awk -v N=200 -v D=8 "
	function xor(a, b,   r, bit) {
		r = 0; bit = 1
		while (a > 0 || b > 0) {
			if (a % 2 != b % 2) r += bit
			a = int(a / 2); b = int(b / 2); bit *= 2
		}
		return r
	}
	{ d = \$1; s = \$2; a = \$3
	  for (k = 1; k <= s; k++) V[d, k] = \$(3 + k) * 2 ^ (32 - k)
	  for (k = s + 1; k <= 32; k++) {
		v = xor(V[d, k - s], int(V[d, k - s] / 2 ^ s))
		for (l = 1; l < s; l++)
			if (int(a / 2 ^ (s - 1 - l)) % 2 == 1) v = xor(v, V[d, k - l])
		V[d, k] = v
	  } }
	END {
		for (k = 1; k <= 32; k++) V[1, k] = 2 ^ (32 - k)
		for (i = 0; i < N; i++) {
			if (i > 0) {
				t = i - 1; c = 1
				while (t % 2 == 1) { t = int(t / 2); c++ }
				for (j = 1; j <= D; j++) X[j] = xor(X[j], V[j, c])
			}
			line = \"\"
			for (j = 1; j <= D; j++) line = line (j > 1 ? \",\" : \"\") sprintf(\"%.17g\", X[j] / 2 ^ 32)
			print line
		}
	}" joe-kuo >expect &&
	pal-gen --method sobol --n 200 --dim 8 | xs >actual &&
	cmp_num expect actual
'

py=
for p in python3 /usr/bin/python3; do
	if "$p" -c "import scipy.stats.qmc" 2>/dev/null; then py=$p; break; fi
done
if [ -n "$py" ]; then
	test_expect_success 'sobol and halton: the same points as scipy.stats.qmc' '
		pal-gen --method sobol --n 256 --dim 1111 --skip 3 | xs >sob &&
		pal-gen --method halton --n 300 --dim 40 | xs >hal &&
		"$py" -c "
import numpy as np
from scipy.stats import qmc
s = qmc.Sobol(1111, scramble=False); s.fast_forward(3)
a = np.loadtxt(\"sob\", delimiter=\",\")
assert (a == s.random(256)).all(), \"sobol differs\"
h = qmc.Halton(40, scramble=False).random(300)
b = np.loadtxt(\"hal\", delimiter=\",\")
assert abs(b - h).max() < 1e-15, \"halton differs\"
"
	'
else
	test_skip 'sobol and halton: the same points as scipy.stats.qmc' \
		'no python3 with scipy'
fi

test_expect_success 'sobol: more dimensions than the direction numbers is a usage error' '
	must_fail 2 pal-gen --method sobol --n 4 --dim 1112 >out 2>err &&
	test_grep "1111" err &&
	test ! -s out &&
	pal-gen --method sobol --n 2 --dim 1111 | pal-cat --verify
'

# Van der Corput: point i has coordinate j = the radical inverse of i in
# the j-th prime (1/2, 1/4, 3/4, ... in base 2; 1/3, 2/3, 1/9, ... in 3).
test_expect_success 'halton: points are the radical inverses in the first primes' '
	awk "BEGIN { split(\"2 3 5 7 11\", p, \" \")
		for (i = 1; i <= 300; i++) {
			line = \"\"
			for (j = 1; j <= 5; j++) {
				b = p[j]; t = i; num = 0; den = 1
				while (t > 0) { num = num * b + t % b; t = int(t / b); den *= b }
				line = line (j > 1 ? \",\" : \"\") sprintf(\"%.17g\", num / den)
			}
			print line
		} }" >expect &&
	pal-gen --method halton --n 300 --dim 5 --skip 1 | xs >actual &&
	cmp_num expect actual &&
	pal-gen --method halton --n 1 --dim 3 | xs >first &&
	echo 0,0,0 >zero &&
	test_cmp zero first
'

test_expect_success 'sobol and halton --scramble: seeded, stratified, off the origin' '
	pal-gen --method sobol --n 1024 --dim 4 --scramble --seed 5 >s1.pal &&
	pal-gen --method sobol --n 1024 --dim 4 --scramble --seed 5 >s2.pal &&
	cmp s1.pal s2.pal &&
	pal-gen --method sobol --n 1024 --dim 4 --scramble --seed 6 | xs >s3 &&
	xs s1.pal >s1 &&
	! cmp -s s1 s3 &&
	head -n 1 s1 | grep -v "^0,0,0,0\$" &&
	awk -F, "{ for (j = 1; j <= NF; j++) { k = int(\$j * 1024); if (seen[j, k]++) bad++ } }
		END { exit bad || NR != 1024 }" s1 &&
	pal-gen --method halton --n 729 --dim 2 --scramble --seed 5 | xs |
		awk -F, "{ if (NR <= 512 && s0[int(\$1 * 512)]++) bad++; if (s1[int(\$2 * 729)]++) bad++ }
			END { exit bad || NR != 729 }"
'

for nd in "1 1" "7 3" "100 5" "1000 2"; do
	set -- $nd
	test_expect_success "lhs: one point per stratum in each dimension (n=$1, d=$2)" "
		pal-gen --method lhs --n $1 --dim $2 --seed $1 | xs |
		awk -F, -v n=$1 -v d=$2 '{
			if (NF != d) bad++
			for (j = 1; j <= NF; j++) { k = int(\$j * n); if (k < 0 || k >= n || seen[j, k]++) bad++ }
		} END { exit bad || NR != n }'
	"
done

test_expect_success 'lhs: strata of a box given by --bounds' '
	pal-gen --method lhs --n 50 --bounds -5:5,100:200 --seed 3 | xs |
	awk -F, "{ a = int((\$1 + 5) / 10 * 50); b = int((\$2 - 100) / 100 * 50)
		if (sa[a]++ || sb[b]++) bad++ } END { exit bad || NR != 50 }"
'

test_expect_success 'grid: --n points per dimension, n^d in all, last dimension fastest' '
	awk "BEGIN { for (i = 0; i < 4; i++) for (j = 0; j < 4; j++) for (k = 0; k < 4; k++)
		printf \"%.17g,%.17g,%.17g\\n\", -1 + 2 * i / 3, 10 * j / 3, 5 + k / 3 }" >expect &&
	pal-gen --method grid --n 4 --bounds -1:1,0:10,5:6 | xs >actual &&
	cmp_num expect actual 1e-14 &&
	pal-gen --method grid --n 1 --bounds 0:2,4:8 | xs >centre &&
	echo 1,6 >c1 && cmp_num c1 centre
'

test_expect_success 'grid: too many points is a usage error' '
	must_fail 2 pal-gen --method grid --n 1000 --dim 7 2>err &&
	test_grep "do not fit" err
'

for m in uniform sobol halton lhs grid; do
	test_expect_success "$m: points lie in the box, whose dimension --bounds gives" "
		pal-gen --method $m --n 300 --bounds -3:-1,10:20 --seed 2 | pal-cat --to csv >out.csv &&
		head -n 1 out.csv >hdr && echo id,x.0,x.1 >want && test_cmp want hdr &&
		tail -n +2 out.csv | awk -F, '{ if (\$2 < -3 || \$2 > -1 || \$3 < 10 || \$3 > 20) bad++ }
			END { exit bad || NR < 300 }'
	"
done

test_expect_success 'one range with --dim applies to every dimension' '
	pal-gen --method uniform --n 100 --dim 3 --bounds 4:5 | xs |
	awk -F, "{ for (j = 1; j <= 3; j++) if (\$j < 4 || \$j > 5) bad++; if (NF != 3) bad++ }
		END { exit bad || NR != 100 }"
'

test_expect_success 'normal: mean at the centre, sd a quarter of the width' '
	pal-gen --method normal --n 20000 --bounds -2:2,10:30 --seed 4 | xs |
	awk -F, "{ s1 += \$1; q1 += \$1 * \$1; s2 += \$2; q2 += (\$2 - 20) ^ 2 }
	END { n = NR; m1 = s1 / n; m2 = s2 / n
		sd1 = sqrt(q1 / n - m1 * m1); sd2 = sqrt(q2 / n - (m2 - 20) ^ 2)
		print m1, sd1, m2, sd2
		# standard errors: sd/sqrt(n) for the mean, about sd/sqrt(2n) for sd
		exit !(m1 > -0.03 && m1 < 0.03 && sd1 > 0.98 && sd1 < 1.02 &&
		       m2 > 19.86 && m2 < 20.14 && sd2 > 4.9 && sd2 < 5.1) }"
'

test_expect_success '--n 0 writes a valid empty stream' '
	pal-gen --method sobol --n 0 --dim 2 >empty.pal &&
	pal-cat --verify empty.pal &&
	pal-cat --info empty.pal >info && test_grep "^rows  *0" info
'

test_expect_success '-o writes the file atomically' '
	pal-gen --method halton --n 5 --dim 2 -o h.pal &&
	pal-gen --method halton --n 5 --dim 2 >h2.pal &&
	cmp h.pal h2.pal
'

if command -v script >/dev/null 2>&1; then
	test_expect_success 'refuses to write a binary stream to a terminal (exit 2)' '
		script -qec "pal-gen --method sobol --n 1 --dim 1" /dev/null >tty.out 2>&1
		echo $? >rc &&
		echo 2 >want && test_cmp want rc &&
		test_grep "refusing to write a binary stream to a terminal" tty.out
	'
else
	test_skip 'refuses to write a binary stream to a terminal (exit 2)' 'no script(1)'
fi

# ---- from old points ------------------------------------------------------

cat >one.csv <<'EOF'
id,x.0,x.1,y
42,0.5,-3,1.5
EOF

test_expect_success 'perturb: steps have mean 0 and sd sigma, per dimension' '
	pal-cat --from csv one.csv |
		pal-gen --perturb 0.5,2 --copies 20000 --seed 9 >p.pal &&
	xs p.pal |
	awk -F, "{ d1 = \$1 - 0.5; d2 = \$2 + 3; s1 += d1; q1 += d1 * d1; s2 += d2; q2 += d2 * d2 }
	END { n = NR; m1 = s1 / n; m2 = s2 / n; sd1 = sqrt(q1 / n); sd2 = sqrt(q2 / n)
		print m1, sd1, m2, sd2
		# 4 standard errors: 0.5/sqrt(n) = 0.0035, 2/sqrt(n) = 0.014
		exit !(n == 20000 && m1 > -0.014 && m1 < 0.014 && m2 > -0.057 && m2 < 0.057 &&
		       sd1 > 0.49 && sd1 < 0.51 && sd2 > 1.96 && sd2 < 2.04) }"
'

test_expect_success 'perturb: new ids, parent and walker from the input id, y dropped' '
	pal-cat --from csv one.csv | pal-gen --perturb 0.1 --copies 3 --start-id 100 >p3.pal &&
	pal-cat --to csv p3.pal | head -n 1 >hdr &&
	echo id,x.0,x.1,parent,walker >want && test_cmp want hdr &&
	col id p3.pal | paste -s -d " " >ids && echo "100 101 102" >want && test_cmp want ids &&
	col parent p3.pal | sort -u >par && echo 42 >want && test_cmp want par &&
	col walker p3.pal | sort -u >wal && test_cmp want wal
'

test_expect_success 'perturb --keep passes a column through' '
	pal-cat --from csv one.csv | pal-gen --perturb 0.1 --copies 2 --keep y >k.pal &&
	col y k.pal >ys && printf "1.5\n1.5\n" >want && test_cmp want ys
'

test_expect_success 'perturb with --bounds reflects at the walls: all inside' '
	printf "id,x.0,x.1\n1,0,1\n2,0.01,0.99\n3,0.5,0.5\n" | pal-cat --from csv |
		pal-gen --perturb 3 --copies 3000 --bounds 0:1 --seed 1 | xs |
	awk -F, "{ for (j = 1; j <= 2; j++) { if (\$j < 0 || \$j > 1) bad++; if (\$j == 0 || \$j == 1) wall++ } }
		END { exit bad || wall > 2 || NR != 9000 }"
'

test_expect_success 'perturb: an input point outside --bounds is a data error' '
	pal-cat --from csv one.csv >one.pal &&
	must_fail 1 pal-gen --perturb 0.1 --bounds 0:1 -i one.pal >out 2>err &&
	test_grep "input row id 42 is outside --bounds (one.pal: x.1 = -3 not in \[0, 1\])" err &&
	must_fail 1 pal-gen --perturb 0.1 --bounds 0:1 <one.pal >out 2>err &&
	test_grep "input row id 42 is outside --bounds (stdin: x.1 = -3 not in" err
'

# Langevin inputs: x and grad in 3-D for 50 rows, from a fixed recurrence.
awk 'BEGIN { print "id,x.0,x.1,x.2,grad.0,grad.1,grad.2,mean"
	s = 12345
	for (i = 0; i < 50; i++) {
		line = i + 1000
		for (j = 0; j < 6; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line "," (s / 2147483648 - 0.5) * 7 }
		print line ",0"
	} }' >walk.csv

test_expect_success 'walk at temperature 0 is x - (dt/friction) grad exactly' '
	pal-cat --from csv walk.csv >walk.pal &&
	pal-gen --walk langevin --dt 0.01 --friction 3 --temperature 0 -i walk.pal >w.pal &&
	awk -F, "NR > 1 { printf \"%.17g,%.17g,%.17g\\n\", \$2 - (0.01 / 3) * \$5, \$3 - (0.01 / 3) * \$6, \$4 - (0.01 / 3) * \$7 }" \
		walk.csv >expect &&
	xs w.pal >actual &&
	cmp_num expect actual &&
	pal-cat --to csv w.pal | head -n 1 >hdr &&
	echo id,x.0,x.1,x.2,parent,walker,step >want && test_cmp want hdr
'

test_expect_success 'walk: displacement has mean -(dt/friction) grad and variance 2 kT dt/friction' '
	printf "id,x.0,x.1,grad.0,grad.1\n0,1,2,3,-4\n" | pal-cat --from csv |
		pal-gen --walk langevin --dt 0.01 --friction 2 --temperature 0.5 --copies 20000 --seed 3 | xs |
	awk -F, "{ d1 = \$1 - 1; d2 = \$2 - 2; s1 += d1; s2 += d2; q1 += d1 * d1; q2 += d2 * d2 }
	END { n = NR; m1 = s1 / n; m2 = s2 / n; v1 = q1 / n - m1 * m1; v2 = q2 / n - m2 * m2
		print m1, m2, v1, v2
		# expected mean (-0.015, 0.02), variance 0.005; 4 standard errors:
		# sqrt(0.005/n) = 0.0005 for the means, 0.005 sqrt(2/n) = 0.00005 for the variances
		exit !(n == 20000 && m1 > -0.017 && m1 < -0.013 && m2 > 0.018 && m2 < 0.022 &&
		       v1 > 0.0048 && v1 < 0.0052 && v2 > 0.0048 && v2 < 0.0052) }"
'

test_expect_success 'walk: walker and step pass through and count' '
	printf "id,x,grad,walker,step\n7,0.5,0,3,10\n8,0.5,0,4,0\n" |
		pal-cat --from csv |
		pal-gen --walk langevin --dt 0.1 --temperature 1 --start-id 20 | pal-cat --to csv |
		cut -d, -f1,3- >got &&
	printf "id,parent,walker,step\n20,7,3,11\n21,8,4,1\n" >want && test_cmp want got
'

test_expect_success 'walk: missing grad, or no --dt, is an error' '
	pal-cat --from csv one.csv >one.pal &&
	must_fail 1 pal-gen --walk langevin --dt 0.1 --temperature 1 -i one.pal >out 2>err &&
	test_grep "input has no column .grad. (one.pal: frame 0 at offset 0)" err &&
	must_fail 2 pal-gen --walk langevin --temperature 1 -i one.pal 2>err &&
	test_grep "needs --dt" err
'

test_expect_success 'walk with --bounds reflects at the walls, as often as it takes' '
	# x - dt grad: -0.2 -> 0.2; 1.25 -> 0.75; 2.7 -> -0.7 -> 0.7; -1.7 -> 1.7 -> 0.3
	printf "id,x,grad\n1,0.1,0.3\n2,0.9,-0.35\n3,0.5,-2.2\n4,0.3,2\n" | pal-cat --from csv |
		pal-gen --walk langevin --dt 1 --temperature 0 --bounds 0:1 | xs >got &&
	printf "0.2\n0.75\n0.7\n0.3\n" >want &&
	cmp_num want got 1e-12
'

test_expect_success 'walk: a non-finite gradient is a data error naming the row' '
	printf "id,x,grad\n3,0.5,nan\n" | pal-cat --from csv >nan.pal &&
	must_fail 1 pal-gen --walk langevin --dt 1 --temperature 0 -i nan.pal >out 2>err &&
	test_grep "row id 3 has a non-finite grad (nan.pal: grad.0 = nan)" err &&
	must_fail 1 pal-gen --walk langevin --dt 1 --temperature 0 -i - <nan.pal >out 2>err &&
	test_grep "row id 3 has a non-finite grad (stdin: grad.0 = nan)" err
'

test_expect_success 'steps: input without x is a data error, a missing file too' '
	printf "y\n1\n" | pal-cat --from csv >nox.pal &&
	must_fail 1 pal-gen --perturb 1 -i nox.pal 2>err &&
	test_grep "input has no column .x. (nox.pal: frame 0 at offset 0)" err &&
	must_fail 1 pal-gen --perturb 1 -i no-such.pal 2>err && test_grep "no-such.pal" err &&
	printf "id,x.0,x.1,x.2\n1,0,0,0\n" | pal-cat --from csv >d3.pal &&
	must_fail 1 pal-gen --perturb 1 --bounds 0:1,0:1 -i d3.pal 2>err &&
	test_grep "input x has width 3 but --bounds gives 2 ranges (d3.pal: frame 0 at offset 0)" err &&
	must_fail 1 pal-gen --perturb 1,1 -i d3.pal 2>err &&
	test_grep "perturb has 2 values but input x has width 3 (d3.pal: frame 0" err &&
	printf "id,x\n1,0\n" | pal-cat --from csv >d1.pal &&
	cat d3.pal d1.pal | must_fail 1 pal-gen --perturb 1 2>err &&
	test_grep "input x changes width from 3 to 1 (stdin: frame 2 at offset 176)" err &&
	printf "id,x\n1,1\n" | pal-cat --from csv --type id=f64 >fid.pal &&
	must_fail 1 pal-gen --perturb 1 -i fid.pal 2>err &&
	test_grep "input column .id. is f64 of width 1, not u64 of width 1 (fid.pal: frame 0" err
'

test_expect_success 'steps: a truncated input is an error, and no complete output' '
	pal-gen --method uniform --n 1000 --dim 2 >u.pal &&
	head -c 2000 u.pal >cut.pal &&
	must_fail 1 pal-gen --perturb 0.1 -i cut.pal >out.pal 2>err &&
	test_grep "truncated" err &&
	! pal-cat --verify out.pal 2>/dev/null
'

# ---- --exec -------------------------------------------------------------------

test_expect_success 'exec: CSV output becomes the stream, ids from --start-id' '
	pal-gen --exec "printf \"x.0,x.1\\n1,2\\n3,4\\n\"" --start-id 10 | pal-cat --to csv >got &&
	printf "id,x.0,x.1\n10,1,2\n11,3,4\n" >want && test_cmp want got
'

test_expect_success 'exec: the command keeps its ids and sees the options' '
	cat >gen.sh <<-\EOF &&
	echo "# made by a script"
	awk -v n="$PAL_N" -v d="$PAL_DIM" "BEGIN { print \"id,x\"; for (i = 0; i < n; i++) print 100 + i \",\" d }"
	EOF
	pal-gen --exec "sh gen.sh" --n 3 --dim 1 | pal-cat --to csv >got &&
	printf "id,x\n100,1\n101,1\n102,1\n" >want && test_cmp want got
'

test_expect_success 'exec: a pal stream from the command is checked and passed on' '
	pal-gen --method sobol --n 100 --dim 3 >direct.pal &&
	pal-gen --exec "pal-gen --method sobol --n 100 --dim 3" >via.pal &&
	cmp direct.pal via.pal
'

test_expect_success 'exec: a stream that arrives in pieces is still told by its magic' '
	pal-gen --method halton --n 20 --dim 2 >direct.pal &&
	pal-gen --exec "pal-gen --method halton --n 20 --dim 2 | { dd bs=1 count=2 2>/dev/null; sleep 0.1; cat; }" >via.pal &&
	cmp direct.pal via.pal
'

test_expect_success 'exec: a command that is not found is exit 1 with status 127' '
	must_fail 1 pal-gen --exec "no-such-command-here" >out.pal 2>err &&
	test_grep "command .no-such-command-here. exited with status 127" err
'

test_expect_success 'exec: stdin (or -i) goes to the command' '
	printf "x\n5\n" >in.csv &&
	pal-gen --exec cat -i in.csv | pal-cat --to csv >got &&
	printf "id,x\n0,5\n" >want && test_cmp want got
'

test_expect_success 'exec: a failing command is exit 1, output cut short' '
	{ pal-gen --exec "pal-gen --method sobol --n 5 --dim 2; exit 3" 2>err; echo $? >rc; } |
		cat >out.pal &&
	echo 1 >want && test_cmp want rc &&
	test_grep "command .pal-gen --method sobol --n 5 --dim 2; exit 3. exited with status 3" err &&
	test -s out.pal &&
	! pal-cat --verify out.pal 2>verr &&
	test_grep "no end frame" verr &&
	must_fail 1 pal-gen --exec "printf \"x\\n1\\n\"; exit 4" -o failed.pal 2>err &&
	test_grep "status 4" err &&
	test ! -e failed.pal
'

test_expect_success 'exec: a command killed by a signal is exit 1 with the signal' '
	must_fail 1 pal-gen --exec "printf \"x\\n1\\n\"; kill -9 \$\$" >out.pal 2>err &&
	test_grep "killed by signal 9" err &&
	! pal-cat --verify out.pal 2>/dev/null
'

test_expect_success 'exec: garbage output is exit 1 with the reason' '
	must_fail 1 pal-gen --exec "echo hello world" >out.pal 2>err &&
	test_grep "bad output from command .echo hello world." err &&
	must_fail 1 pal-gen --exec "printf \"x.0,x.1\\n1,oops\\n\"" >out.pal 2>err &&
	test_grep "oops" err &&
	must_fail 1 pal-gen --exec "printf \"\\211PAL garbage\"" >out.pal 2>err &&
	test_grep "bad output" err &&
	must_fail 1 pal-gen --exec "pal-gen --method halton --n 50 --dim 2 | head -c 300" >out.pal 2>err &&
	test_grep "truncated" err &&
	must_fail 1 pal-gen --exec true >out.pal 2>err &&
	test_grep "no header" err &&
	! pal-cat --verify out.pal 2>/dev/null
'

test_expect_success 'exec: output checked against --dim and --bounds' '
	must_fail 1 pal-gen --exec "printf \"x\\n7\\n\"" --bounds 0:1 >out.pal 2>err &&
	test_grep "outside --bounds" err &&
	must_fail 1 pal-gen --exec "pal-gen --method lhs --n 3 --dim 2" --dim 3 >out.pal 2>err &&
	test_grep "width 2, not 3" err
'

# ---- usage errors -------------------------------------------------------------

test_expect_success 'usage errors exit 2 with a message and no output' '
	for args in "--method magic --n 3 --dim 2" "--n 3 --bounds 3:1" \
		"--n 3 --bounds 0:1,x:2" "--n 3 --bounds 0:inf" "--method sobol --dim 2" \
		"--n 3" "--n 3 --dim 3 --bounds 0:1,0:1" "--n -1 --dim 2" \
		"--method uniform --n 3 --dim 2 --scramble" "--n 3 --dim 2 --copies 2" \
		"--perturb 0.1 --n 4" "--perturb -1" "--walk brownian --dt 1 --temperature 1" \
		"--perturb 1 --walk langevin" "--exec true --method sobol" \
		"--walk langevin --dt 0 --temperature 1" "--n 3 --dim 2 extra" \
		"--perturb 1 --keep x" "--dim 0 --n 3" "--n 2 --dim 2 --start-id 18446744073709551615" \
		"--perturb 0.1,0.2 --bounds 0:1,0:1,0:1" "--no-such-option" \
		"--n 3 --bounds 0:1," "--n 3 --bounds ,0:1" "--n 3 --bounds 0:1,,0:1" \
		"--perturb 1, -i one.pal" "--perturb 1 --keep a, -i one.pal"
	do
		must_fail 2 pal-gen $args </dev/null >out 2>err &&
		test ! -s out &&
		test_grep "^pal-gen: \|^usage: pal-gen" err || { echo "args: $args"; exit 1; }
	done
'

test_expect_success 'usage messages say what is wrong' '
	must_fail 2 pal-gen --method magic --n 3 --dim 2 2>err && test_grep "unknown method .magic." err &&
	must_fail 2 pal-gen --n 3 --bounds 3:1 2>err && test_grep "empty range .3:1." err &&
	must_fail 2 pal-gen --dim 2 2>err && test_grep "missing --n" err &&
	must_fail 2 pal-gen --n 3 --dim 3 --bounds 0:1,0:1 2>err && test_grep "disagree" err &&
	must_fail 2 pal-gen --n 3 2>err && test_grep "give --dim or --bounds" err &&
	must_fail 2 pal-gen --n 3 --bounds 0:1, 2>err &&
	test_grep "^pal-gen: --bounds: empty item in .0:1,.$" err
'

# ---- the manual ---------------------------------------------------------------

if command -v groff >/dev/null 2>&1; then
	test_expect_success 'man page: groff -mandoc -ww is silent' '
		groff -mandoc -ww -z "$TOP/man/pal-gen.1" >lint 2>&1 &&
		test ! -s lint
	'
else
	test_skip 'man page: groff -mandoc -ww is silent' 'no groff'
fi

test_expect_success 'man page: every EXAMPLES command runs' '
	sed -n "/^\\.Sh EXAMPLES/,/^\\.Sh /p" "$TOP/man/pal-gen.1" |
		sed -n "s/^\\$ //p" | sed "s/\\\\-/-/g; s/\\\\e/\\\\/g" >examples.sh &&
	test -s examples.sh &&
	mkdir -p ex &&
	(cd ex && sh -e ../examples.sh >out 2>&1) || { cat ex/out; exit 1; }
'

test_done
