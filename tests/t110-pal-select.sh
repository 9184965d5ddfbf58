#!/bin/sh
# pal-select: every rule against an independent computation in awk over
# pal-cat's CSV dump, selected plus rest against the input, diversity,
# exclusion, determinism, uniformity of random choice, flat memory on 10
# million rows, usage and data errors.
. "$(dirname "$0")/lib.sh"

# score.awk: from a CSV dump with id, x.*, mean[.k] and std[.k] columns,
# print "id score x..." per row, computed here and not by pal-select.
# Variables: rule (std, mean, negmean, ucb, lcb, ei), beta, best, reduce.
cat >score.awk <<'AWK'
BEGIN { FS = ","; pi = 3.14159265358979323846 }
function red(c, n,   i, v, acc) {
	acc = $(c[1]) + 0
	for (i = 2; i <= n; i++) {
		v = $(c[i]) + 0
		if (reduce == "mean")
			acc += v
		else if (v > acc)
			acc = v
	}
	return reduce == "mean" ? acc / n : acc
}
# erf by its Taylor series, erfc by its continued fraction (|x| >= 2.5).
function erfc(x,   t, sum, n, f, k) {
	if (x < -2.5)
		return 2 - erfc(-x)
	if (x > 2.5) {
		f = x
		for (k = 300; k >= 1; k--)
			f = x + (k / 2) / f
		return exp(-x * x) / sqrt(pi) / f
	}
	sum = x; t = x
	for (n = 1; n < 200; n++) {
		t *= -x * x / n
		sum += t / (2 * n + 1)
	}
	return 1 - 2 / sqrt(pi) * sum
}
function ei(m, s,   d, z) {
	d = best - m
	if (s == 0)
		return d > 0 ? d : 0
	z = d / s
	return d * 0.5 * erfc(-z / sqrt(2)) + s * exp(-z * z / 2) / sqrt(2 * pi)
}
NR == 1 {
	for (i = 1; i <= NF; i++) {
		name = $i
		sub(/\..*/, "", name)
		if (name == "id") idc = i
		if (name == "mean") mc[++nm] = i
		if (name == "std") sc[++ns] = i
		if (name == "x") xc[++nx] = i
	}
	next
}
{
	m = nm ? red(mc, nm) : 0
	s = ns ? red(sc, ns) : 0
	if (rule == "std") v = s
	else if (rule == "mean") v = m
	else if (rule == "negmean") v = -m
	else if (rule == "ucb") v = m + beta * s
	else if (rule == "lcb") v = beta * s - m
	else if (rule == "ei") v = ei(m, s)
	line = $idc " " sprintf("%.17g", v)
	for (i = 1; i <= nx; i++)
		line = line " " $(xc[i])
	print line
}
AWK

# mindist.awk: the least distance between two rows of "id score x..." input.
cat >mindist.awk <<'AWK'
{ n++; for (k = 3; k <= NF; k++) x[n, k] = $k; nf = NF }
END {
	best = -1
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++) {
			d = 0
			for (k = 3; k <= nf; k++)
				d += (x[i, k] - x[j, k]) ^ 2
			if (best < 0 || d < best)
				best = d
		}
	printf "%.17g\n", sqrt(best)
}
AWK

# greedy.awk: from a pool of "id score x..." rows, best first, choose k
# rows: with far=1 by farthest-point selection (stopping below dist), else
# by a pass in score order skipping rows closer than dist to a chosen one.
# Prints the chosen ids in pool order.
cat >greedy.awk <<'AWK'
{ n++; id[n] = $1; for (c = 3; c <= NF; c++) x[n, c] = $c; nf = NF }
function d2(a, b,   s, c) {
	s = 0
	for (c = 3; c <= nf; c++)
		s += (x[a, c] - x[b, c]) ^ 2
	return s
}
END {
	got = 0
	if (far) {
		for (j = 1; j <= n; j++) fd[j] = -1
		pick = 1
		while (pick && got < k) {
			chosen[pick] = 1; got++
			next_ = 0
			for (j = 1; j <= n; j++) {
				if (chosen[j]) continue
				d = d2(j, pick)
				if (fd[j] < 0 || d < fd[j]) fd[j] = d
				if (!next_ || fd[j] > fd[next_]) next_ = j
			}
			pick = next_
			if (pick && fd[pick] < dist * dist) pick = 0
		}
	} else {
		for (j = 1; j <= n && got < k; j++) {
			ok = 1
			for (i = 1; i < j && ok; i++)
				if (chosen[i] && d2(i, j) < dist * dist) ok = 0
			if (ok) { chosen[j] = 1; got++ }
		}
	}
	for (j = 1; j <= n; j++)
		if (chosen[j]) print id[j]
}
AWK

# csv FILE...: the rows of pal streams as CSV, header included.
csv() { pal-cat --to csv "$@"; }
# ids FILE: the ids of a stream, one a line, in stream order.
ids() { pal-cat --to csv "$1" | tail -n +2 | cut -d, -f1; }
# ranked RULE [awk vars]: "id score x..." for in.csv (or $CSV), best first.
ranked() {
	rule=$1
	shift
	awk -v rule="$rule" "$@" -f score.awk "${CSV:-in.csv}" | sort -k2,2gr
}
# rows FILE: the rows of a stream's CSV, sorted, without the header.
rows() { pal-cat --to csv "$@" | tail -n +2 | sort; }

pal-synth --rows 3000 --dim 3 --seed 7 --frame-rows 700 --meta model=g1 \
	>in.pal
csv in.pal >in.csv
pal-synth --rows 2000 --dim 2 --outputs 3 --seed 8 --frame-rows 300 >multi.pal

test_expect_success '--help and --version exit 0 on stdout' '
	pal-select --help >help &&
	test_grep "^usage: pal-select" help &&
	pal-select --version >version &&
	test_grep "^pal-select [0-9]" version
'

test_expect_success 'usage text matches the man page synopsis' '
	pal-select --help | sed -n "/^usage:/,/^\$/p" | sed "/^\$/d" |
		tr -s " \n" "  " | sed "s/^usage: //; s/ *\$//" >got &&
	groff -mandoc -Tascii -P-cbou "$TOP/man/pal-select.1" 2>/dev/null |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		tr -s " \n" "  " | sed "s/^ *//; s/ *\$//" >want &&
	test_cmp want got
'

for rule in std mean -mean ucb:0.5 lcb:2; do
	case $rule in
	-mean) arule=negmean beta=0 ;;
	ucb:*|lcb:*) arule=${rule%%:*} beta=${rule#*:} ;;
	*) arule=$rule beta=0 ;;
	esac
	test_expect_success "--top 25 --by $rule is the first 25 of a full sort" "
		pal-select --top 25 --by $rule in.pal >sel.pal &&
		ids sel.pal >got &&
		ranked $arule -v beta=$beta | head -25 | cut -d\" \" -f1 >want &&
		test_cmp want got
	"
done

test_expect_success 'multi-output mean and std are reduced by max or mean' '
	csv multi.pal >multi.csv &&
	CSV=multi.csv &&
	pal-select --top 40 --by std --reduce mean multi.pal >a.pal &&
	ids a.pal >got &&
	ranked std -v reduce=mean | head -40 | cut -d" " -f1 >want &&
	test_cmp want got &&
	pal-select --top 40 --by ucb:1.5 multi.pal >b.pal &&
	ids b.pal >got &&
	ranked ucb -v beta=1.5 -v reduce=max | head -40 | cut -d" " -f1 >want &&
	test_cmp want got
'

test_expect_success '--by ei matches EI computed by hand, and the values' '
	pal-select --top 30 --by ei --best -0.5 in.pal >sel.pal &&
	ids sel.pal >got &&
	ranked ei -v best=-0.5 >all &&
	head -30 all | cut -d" " -f1 >want &&
	test_cmp want got &&
	awk "NR == 30 { a = \$2 } NR == 31 { b = \$2 } END { exit !(a > b) }" all
'

test_expect_success '--by ei with std 0, and --labeled gives the best y' '
	cat >ei.csv <<-CSV &&
	id,mean,std
	1,-1,0
	2,1,0
	3,0,1
	4,0.5,0
	5,0.25,0.5
	CSV
	pal-cat --from csv ei.csv >ei.pal &&
	awk -v rule=ei -v best=0 -f score.awk ei.csv | sort -k2,2gr |
		cut -d" " -f1 >want &&
	pal-select --top 5 --by ei --best 0 ei.pal >sel.pal &&
	ids sel.pal >got &&
	test_cmp want got &&
	awk -v rule=ei -v best=0 -f score.awk ei.csv | sort -n >eis &&
	grep "^1 1\$" eis && grep "^2 0\$" eis && grep "^4 0\$" eis &&
	printf "y\n3\n0.25\nnan\n0\n7\n" >lab.csv &&
	pal-cat --from csv lab.csv >lab.pal &&
	pal-select --top 5 --by ei --labeled lab.pal ei.pal >sel2.pal &&
	cmp sel.pal sel2.pal
'

test_expect_success '--threshold streams the rows whose std is strictly above it' '
	pal-select --threshold 0.8 in.pal >sel.pal &&
	ids sel.pal >got &&
	awk -v rule=std -f score.awk in.csv | awk "\$2 > 0.8 { print \$1 }" >want &&
	test_cmp want got &&
	test -s got &&
	pal-synth --rows 400 --quantize 0.25 >q.pal && csv q.pal >q.csv &&
	pal-select --threshold 0.5 q.pal >sel.pal &&
	ids sel.pal >got &&
	awk -v rule=std -f score.awk q.csv | awk "\$2 > 0.5 { print \$1 }" >want &&
	test_cmp want got &&
	grep -q ",0.5\$" q.csv
'

test_expect_success '--threshold and --top: the top of those above it' '
	pal-select --threshold 0.5 --top 20 --by -mean in.pal >sel.pal &&
	ids sel.pal >got &&
	awk -v rule=std -f score.awk in.csv | awk "\$2 > 0.5 { print \$1 }" |
		sort >above &&
	ranked negmean | sort -k1,1 | join above - | sort -k2,2gr |
		head -20 | cut -d" " -f1 >want &&
	test_cmp want got
'

test_expect_success 'selected plus --rest is exactly the input, in every mode' '
	rows in.pal >all &&
	for args in "--top 25" "--threshold 0.7" "--threshold 0.2 --top 9" \
		    "--top 30 --diverse" "--top 30 --min-dist 0.3" \
		    "--top 100 --by random" "--top 0" "--top 5000"; do
		pal-select $args --rest rest.pal in.pal >sel.pal &&
		rows sel.pal rest.pal >got &&
		test_cmp all got || exit 1
	done
'

test_expect_success 'metadata frames go to the selected rows and to --rest' '
	pal-select --top 3 --rest rest.pal in.pal >sel.pal &&
	pal-cat --info sel.pal >info1 && pal-cat --info rest.pal >info2 &&
	test_grep "^meta  *model=g1" info1 &&
	test_grep "^meta  *model=g1" info2
'

test_expect_success 'rows with NaN or negative std are never selected' '
	pal-synth --rows 300 --nan-every 3 --seed 2 >nan.pal &&
	pal-select --top 1000 --rest rest.pal nan.pal >sel.pal &&
	csv sel.pal | tail -n +2 | grep -c . >n_sel &&
	echo 200 >want && test_cmp want n_sel &&
	! csv sel.pal | grep -q nan &&
	csv rest.pal | tail -n +2 | grep -c ",nan\$" >n_rest &&
	echo 100 >want && test_cmp want n_rest &&
	pal-select --threshold 0 nan.pal >thr.pal &&
	! csv thr.pal | grep -q nan &&
	test "$(ids thr.pal | wc -l)" -eq 200 &&
	printf "id,std\n1,-1\n2,0.5\n3,-0.25\n4,nan\n" >neg.csv &&
	pal-cat --from csv neg.csv >neg.pal &&
	pal-select --top 4 --rest rest.pal neg.pal >sel.pal &&
	ids sel.pal >got && echo 2 >want && test_cmp want got &&
	pal-select --threshold -inf neg.pal >sel.pal &&
	ids sel.pal >got && test_cmp want got
'

test_expect_success '--exclude drops labeled ids into --rest or --excluded' '
	awk -F, "NR > 1 && \$1 % 3 == 0 { print \$1 }" in.csv >ex.ids &&
	{ echo id; cat ex.ids; } >ex.csv &&
	pal-cat --from csv ex.csv >ex.pal &&
	pal-select --top 25 --exclude ex.pal --rest rest.pal in.pal >sel.pal &&
	ids sel.pal >got &&
	ranked std | awk "\$1 % 3 != 0" | head -25 | cut -d" " -f1 >want &&
	test_cmp want got &&
	rows in.pal >all && rows sel.pal rest.pal >both && test_cmp all both &&
	pal-select --top 25 --exclude ex.pal --excluded exd.pal \
		--rest rest2.pal in.pal >sel2.pal &&
	cmp sel.pal sel2.pal &&
	ids exd.pal | sort -n >got && sort -n ex.ids >want && test_cmp want got &&
	rows sel2.pal rest2.pal exd.pal >all3 && test_cmp all all3
'

test_expect_success '--min-dist: a greedy pass over the pool in score order' '
	pal-select --top 12 --min-dist 0.35 --pool 60 in.pal >sel.pal &&
	ids sel.pal >got &&
	ranked std | head -60 >pool &&
	awk -v k=12 -v dist=0.35 -f greedy.awk pool >want &&
	test_cmp want got &&
	ranked std | sort -k1,1 >byid &&
	sort got | join - byid | sort -k2,2gr | awk -f mindist.awk >d &&
	awk "{ exit !(\$1 >= 0.35) }" d
'

test_expect_success '--diverse: farthest-point selection among the pool' '
	pal-select --top 10 --diverse in.pal >sel.pal &&
	ids sel.pal >got &&
	ranked std | head -40 >pool &&
	awk -v k=10 -v far=1 -v dist=0 -f greedy.awk pool >want &&
	test_cmp want got &&
	ranked std | sort -k1,1 >byid &&
	sort got | join - byid | awk -f mindist.awk >d_div &&
	pal-select --top 10 in.pal >top.pal &&
	ids top.pal | sort | join - byid | awk -f mindist.awk >d_top &&
	awk "NR == 1 { a = \$1 } NR == 2 { exit !(a > \$1) }" d_div d_top
'

test_expect_success '--diverse --min-dist: pairwise at least the distance' '
	pal-select --top 40 --diverse --min-dist 0.3 --pool 400 in.pal >sel.pal &&
	ids sel.pal | sort >got &&
	ranked std | sort -k1,1 >byid &&
	join got byid | awk -f mindist.awk >d &&
	awk "{ exit !(\$1 >= 0.3) }" d &&
	ranked std | head -400 >pool &&
	awk -v k=40 -v far=1 -v dist=0.3 -f greedy.awk pool | sort >want &&
	test_cmp want got
'

test_expect_success 'ties: a valid top-k, the same for a seed, in any input order' '
	pal-synth --rows 1000 --quantize 0.1 --seed 4 --frame-rows 100 >a.pal &&
	pal-synth --rows 1000 --quantize 0.1 --seed 5 --start-id 1000 \
		--frame-rows 100 >b.pal &&
	cat a.pal b.pal >ab.pal && cat b.pal a.pal >ba.pal &&
	pal-select --top 50 --seed 9 --rest rest.pal ab.pal >s1.pal &&
	pal-select --top 50 --seed 9 ab.pal >s2.pal &&
	cmp s1.pal s2.pal &&
	pal-select --top 50 --seed 9 ba.pal >s3.pal &&
	csv s1.pal >c1 && csv s3.pal >c3 && test_cmp c1 c3 &&
	csv s1.pal | tail -n +2 | cut -d, -f6 >sc &&
	sort -gr sc >sorted && test_cmp sorted sc &&
	csv rest.pal | tail -n +2 | cut -d, -f6 | sort -gr | head -1 >maxrest &&
	tail -1 sc >minsel &&
	awk "NR == 1 { a = \$1 } NR == 2 { exit !(a >= \$1) }" minsel maxrest &&
	pal-select --top 50 --seed 10 ab.pal >s4.pal &&
	csv s4.pal | tail -n +2 | cut -d, -f6 >sc4 && test_cmp sc sc4 &&
	! cmp -s s1.pal s4.pal
'

test_expect_success '--by random is uniform over the rows (100 seeds)' '
	pal-synth --rows 20 --seed 1 >twenty.pal &&
	i=1 && while [ $i -le 100 ]; do
		pal-select --top 10 --by random --seed $i twenty.pal >rnd.$i.pal ||
			exit 1
		i=$((i + 1))
	done &&
	pal-cat --to csv rnd.*.pal | tail -n +2 | cut -d, -f1 | sort -n |
		uniq -c >counts &&
	test "$(wc -l <counts)" -eq 20 &&
	awk "\$1 < 30 || \$1 > 70 { bad = 1 } END { exit bad }" counts &&
	pal-select --top 10 --by random --seed 3 twenty.pal >again.pal &&
	cmp rnd.3.pal again.pal
'

test_expect_success 'threshold with --top and --by random samples above it' '
	pal-select --threshold 0.9 --top 5 --by random in.pal >sel.pal &&
	csv sel.pal | tail -n +2 | cut -d, -f6 >s &&
	test "$(wc -l <s)" -eq 5 &&
	awk "\$1 <= 0.9 { bad = 1 } END { exit bad }" s
'

test_expect_success '-o and -i are atomic files; --rest - writes to stdout' '
	pal-select -i in.pal --top 7 -o sel.pal --rest - >rest.pal &&
	rows in.pal >all && rows sel.pal rest.pal >got && test_cmp all got &&
	test "$(rows sel.pal | wc -l)" -eq 7
'

test_expect_success '-v reports the counts' '
	pal-synth --rows 300 --nan-every 3 --seed 2 >nan.pal &&
	pal-select -v --top 10 --rest /dev/null nan.pal 2>err >/dev/null &&
	test_grep "300 rows: 10 selected, 290 to rest (0 of them excluded); 100 unranked" err &&
	pal-select -v --top 10 nan.pal 2>err >/dev/null &&
	test_grep "300 rows: 10 selected, 290 dropped (0 of them excluded); 100 unranked" err &&
	awk -F, "NR > 1 && \$1 < 30 { print \$1 }" in.csv >few.csv &&
	{ echo id; cat few.csv; } | pal-cat --from csv -o few.pal &&
	pal-select -v --threshold 0.5 --exclude few.pal --excluded ex.pal \
		nan.pal 2>err >/dev/null &&
	n=$(ids nan.pal | awk "\$1 >= 30" | grep -c .) &&
	above=$(pal-select --threshold 0.5 nan.pal | pal-cat --to csv |
		awk -F, "NR > 1 && \$1 >= 30" | grep -c .) &&
	test_grep "300 rows: $above selected, $((n - above)) dropped, 30 excluded; 90 unranked" err
'

# rss_flat SMALL BIG ARGS...: max RSS of pal-select ARGS on BIG rows is
# within 2 MiB of that on SMALL rows (the input itself is 40 bytes a row).
rss_flat() {
	small=$1 big=$2
	shift 2
	for n in $small $big; do
		pal-synth --rows $n --seed 1 |
		/usr/bin/time -f %M -o rss.$n pal-select "$@" -v \
			--rest /dev/null >/dev/null 2>err.$n || return 1
	done
	test_grep "^pal-select: $big rows" err.$big || return 1
	echo "$*: $(cat rss.$small) KiB for $small rows, $(cat rss.$big) KiB for $big"
	awk "NR == 1 { a = \$1 } NR == 2 { exit !(\$1 < a + 2048) }" \
		rss.$small rss.$big
}

if [ "${SAN-}" = 1 ]; then
	small=100000 big=1000000
else
	small=1000000 big=10000000
fi
if [ -x /usr/bin/time ]; then
	test_expect_success "memory stays flat from $small to $big rows" "
		rss_flat $small $big --top 100 &&
		rss_flat $small $big --top 1000 --diverse &&
		rss_flat $small $big --threshold 0.5 &&
		true
	"
else
	test_skip "memory stays flat from $small to $big rows" "no /usr/bin/time"
fi

test_expect_success 'usage errors exit 2 with a message' '
	while IFS="|" read -r args msg; do
		eval "must_fail 2 pal-select $args 2>err" </dev/null \
			>/dev/null || { cat err; exit 1; }
		test_grep "$msg" err || exit 1
	done <<-EOF
	--by std in.pal|give --top, --threshold, --trust-lo or --trust-hi
	--threshold 1 --by std in.pal|--by applies only with --top
	--top 3 --by foo in.pal|unknown rule .foo.
	--top 3 --by ucb:-1 in.pal|beta .-1. is not a finite number >= 0
	--top 3 --by ucb:x in.pal|--by: .x. is not a number
	--threshold 1 --diverse in.pal|apply only with --top
	--top 3 --pool 9 in.pal|--pool applies only with --diverse
	--top 3 --diverse --pool 2 in.pal|--pool: 2 is smaller than --top 3
	--top 3 --by ei in.pal|--by ei needs --best or --labeled
	--top 3 --best 1 in.pal|--best and --labeled apply only with --by ei
	--top 3 --by ei --best 1 --labeled in.pal in.pal|give one of --best and --labeled
	--top 3 --by ei --best inf in.pal|--best: .inf. is not finite
	--top 3 --excluded x.pal in.pal|--excluded applies only with --exclude
	--top 3 --exclude -|standard input can be read only once
	--top 3 --rest - in.pal|only one output can go to standard output
	--top 3 -o o1.pal --rest o1.pal in.pal|.o1.pal. is named as two outputs
	--top -1 in.pal|--top: .-1. is
	--top 3 --min-dist 0 in.pal|--min-dist: .0. is not a finite number > 0
	--top 3 --reduce min in.pal|unknown reduction .min.
	--threshold nan in.pal|--threshold: .nan. is not a number
	--top 3 -i in.pal in.pal|not both
	--top 3 in.pal in.pal|at most one input file
	--top 3 --no-such-option in.pal|usage: pal-select
	EOF
	! test -e o1.pal
'

test_expect_success 'data errors exit 1, name the column, leave no output' '
	pal-cat --columns id,x,mean in.pal >nostd.pal &&
	must_fail 1 pal-select --top 3 -o out.pal nostd.pal 2>err &&
	test_grep "no column .std., needed by --by std (nostd.pal: frame 1 at offset 64)" err &&
	must_fail 1 pal-select --threshold 1 -o out.pal nostd.pal 2>err &&
	test_grep "no column .std., needed by --threshold (nostd.pal: frame 1" err &&
	pal-cat --columns id,x,std in.pal >nomean.pal &&
	must_fail 1 pal-select --top 3 --by ei --best 0 nomean.pal 2>err \
		>/dev/null &&
	test_grep "no column .mean., needed by --by ei (nomean.pal: frame 1" err &&
	pal-cat --columns id,mean,std in.pal >nox.pal &&
	must_fail 1 pal-select --top 3 --diverse nox.pal 2>err >/dev/null &&
	test_grep "no column .x., needed by --diverse (nox.pal: frame 1" err &&
	pal-cat --columns x,mean,std in.pal >noid.pal &&
	must_fail 1 pal-select --top 3 --exclude in.pal noid.pal 2>err \
		>/dev/null &&
	test_grep "no column .id., needed by --exclude (noid.pal: frame 1" err &&
	must_fail 1 pal-select --top 3 --exclude noid.pal in.pal 2>err \
		>/dev/null &&
	test_grep "no u64 column .id., needed by --exclude (noid.pal: frame 1" err &&
	must_fail 1 pal-select --top 3 --by ei --labeled in.pal in.pal 2>err \
		>/dev/null &&
	test_grep "no column .y., needed by --labeled (in.pal: frame 1" err &&
	printf "y\nnan\n" >nany.csv && pal-cat --from csv nany.csv >nany.pal &&
	must_fail 1 pal-select --top 3 --by ei --labeled nany.pal in.pal \
		2>err >/dev/null &&
	test_grep "no finite y, needed by --by ei (nany.pal)" err &&
	must_fail 1 pal-select --top 3 -o out.pal <nostd.pal 2>err &&
	test_grep "no column .std., needed by --by std (stdin: frame 1 at offset 64)" err &&
	must_fail 1 pal-select --top 3 --by ei --labeled - in.pal <in.pal 2>err \
		>/dev/null &&
	test_grep "no column .y., needed by --labeled (stdin: frame 1" err &&
	cat in.pal multi.pal >mixed.pal &&
	must_fail 1 pal-select --top 3 -o out.pal --rest out2.pal mixed.pal \
		2>err &&
	test_grep "columns change (mixed.pal: frame [0-9]* at offset [0-9]*): pal-select needs one schema per input" err &&
	head -c 5000 in.pal >cut.pal &&
	must_fail 1 pal-select --top 3 -o out.pal cut.pal 2>err &&
	test_grep "truncated" err &&
	must_fail 1 pal-select --top 3 -o out.pal no-such.pal 2>err &&
	test_grep "cannot open .no-such.pal." err &&
	printf "id,std\n1,0.5\n" >i64.csv &&
	pal-cat --from csv --type id=i64 i64.csv >i64.pal &&
	must_fail 1 pal-select --top 3 -o out.pal i64.pal 2>err &&
	test_grep "column .id. is i64 of width 1, not u64" err &&
	! test -e out.pal && ! test -e out2.pal &&
	test -z "$(ls | grep tmp)"
'

test_done
