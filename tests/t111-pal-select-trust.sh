#!/bin/sh
# pal-select's trust band (--trust-lo, --trust-hi: DP-GEN's trust levels):
# exact counts and routing on a crafted stream, the band against an
# independent computation in awk on a larger one, composition with --top,
# --threshold, --by random and --exclude, --stats, usage and data errors.
. "$(dirname "$0")/lib.sh"

# ids FILE: the ids of a stream, one a line, in stream order.
ids() { pal-cat --to csv "$1" | tail -n +2 | cut -d, -f1; }
# rows FILE...: the rows of streams as CSV, sorted, without the header.
rows() { pal-cat --to csv "$@" | tail -n +2 | sort; }

# Ten rows whose std sits on each side of the band [0.1, 0.5] and on its
# edges; a NaN and a negative std (in no band), and a wide std reduced by
# max (row 11: 0.05 and 0.6 -> 0.6, above) or mean (0.325, within).
cat >c.csv <<'CSV'
id,mean,std.0,std.1
1,0,0.01,0.01
2,1,0.1,0.1
3,2,0.2,0.2
4,3,0.5,0.5
5,4,0.51,0.51
6,5,0.09,0.09
7,6,0.3,0.3
8,7,nan,nan
9,8,-1,-1
10,9,2,2
11,10,0.05,0.6
CSV

test_expect_success 'the band is [lo, hi]: below and above go to --rest' '
	pal-cat --from csv c.csv >c.pal &&
	pal-select -v --trust-lo 0.1 --trust-hi 0.5 --rest rest.pal c.pal \
		>sel.pal 2>err &&
	ids sel.pal >got &&
	printf "2\n3\n4\n7\n" >want && test_cmp want got &&
	ids rest.pal | sort -n >got &&
	printf "1\n5\n6\n8\n9\n10\n11\n" >want && test_cmp want got &&
	cat >want <<-EOF &&
	pal-select: 11 rows: 4 selected, 7 to rest (0 of them excluded); 2 unranked (NaN)
	pal-select: trust band [0.1, 0.5]: 2 below, 4 within, 3 above
	EOF
	test_cmp want err
'

test_expect_success '--stats: the counts as key-value lines' '
	pal-select --trust-lo 0.1 --trust-hi 0.5 --stats st.tsv c.pal \
		>sel.pal &&
	printf "rows\t11\nselected\t4\nrest\t7\nexcluded\t0\nunranked\t2\ntrust_lo\t0.1\ntrust_hi\t0.5\nbelow\t2\nwithin\t4\nabove\t3\n" >want &&
	test_cmp want st.tsv &&
	pal-select --top 3 --stats - -o sel.pal c.pal >st2.tsv &&
	printf "rows\t11\nselected\t3\nrest\t8\nexcluded\t0\nunranked\t2\n" >want &&
	test_cmp want st2.tsv
'

test_expect_success '--reduce mean moves a wide std into the band' '
	pal-select --reduce mean --trust-lo 0.1 --trust-hi 0.5 --stats st.tsv \
		c.pal >sel.pal &&
	ids sel.pal >got &&
	printf "2\n3\n4\n7\n11\n" >want && test_cmp want got &&
	grep -E "^(below|within|above)	" st.tsv >got &&
	printf "below\t2\nwithin\t5\nabove\t2\n" >want && test_cmp want got
'

test_expect_success 'one level alone: the other is 0 or infinity' '
	pal-select --trust-hi 0.3 --stats st.tsv c.pal >sel.pal &&
	ids sel.pal >got &&
	printf "1\n2\n3\n6\n7\n" >want && test_cmp want got &&
	grep -E "^(trust_lo|trust_hi|below|within|above)	" st.tsv >got &&
	printf "trust_lo\t0\ntrust_hi\t0.3\nbelow\t0\nwithin\t5\nabove\t4\n" \
		>want && test_cmp want got &&
	pal-select --trust-lo 0.5 c.pal >sel.pal &&
	ids sel.pal >got &&
	printf "4\n5\n10\n11\n" >want && test_cmp want got &&
	pal-select --trust-lo 0.2 --trust-hi 0.2 c.pal >sel.pal &&
	ids sel.pal >got && echo 3 >want && test_cmp want got &&
	pal-select --trust-lo 0 --trust-hi inf c.pal >sel.pal &&
	ids sel.pal | wc -l >got && echo 9 >want && test_cmp want got
'

test_expect_success 'with --top: the best of the band, never one above it' '
	pal-select --trust-lo 0.1 --trust-hi 0.5 --top 2 c.pal >sel.pal &&
	ids sel.pal >got &&
	printf "4\n7\n" >want && test_cmp want got &&
	pal-select --trust-lo 0.1 --trust-hi 0.5 --top 3 --by -mean c.pal \
		>sel.pal &&
	ids sel.pal >got &&
	printf "2\n3\n4\n" >want && test_cmp want got &&
	pal-select --trust-lo 0.1 --trust-hi 0.5 --top 9 --rest rest.pal \
		c.pal >sel.pal &&
	ids sel.pal >got &&
	printf "4\n7\n3\n2\n" >want && test_cmp want got &&
	rows c.pal >all && rows sel.pal rest.pal >both && test_cmp all both
'

test_expect_success 'with --threshold: the rows of the band above it' '
	pal-select -v --trust-lo 0.1 --trust-hi 0.5 --threshold 0.2 c.pal \
		>sel.pal 2>err &&
	ids sel.pal >got &&
	printf "4\n7\n" >want && test_cmp want got &&
	test_grep "trust band \[0.1, 0.5\]: 2 below, 4 within, 3 above" err &&
	pal-select --trust-lo 0.1 --trust-hi 0.5 --threshold 0.2 --top 1 \
		c.pal >sel.pal &&
	ids sel.pal >got && echo 4 >want && test_cmp want got
'

test_expect_success 'with --exclude: excluded rows are in no band' '
	printf "id\n3\n5\n6\n" | pal-cat --from csv -o ex.pal &&
	pal-select --exclude ex.pal --trust-lo 0.1 --trust-hi 0.5 \
		--stats st.tsv c.pal >sel.pal &&
	ids sel.pal >got &&
	printf "2\n4\n7\n" >want && test_cmp want got &&
	printf "rows\t11\nselected\t3\nrest\t5\nexcluded\t3\nunranked\t2\ntrust_lo\t0.1\ntrust_hi\t0.5\nbelow\t1\nwithin\t3\nabove\t2\n" >want &&
	test_cmp want st.tsv
'

# band.awk: from in.csv (id, x..., mean, std), the band's counts and the
# ids within it, computed here and not by pal-select.
cat >band.awk <<'AWK'
BEGIN { FS = "," }
NR == 1 { for (i = 1; i <= NF; i++) if ($i == "std") sc = i; next }
{
	s = $sc
	if (s == "nan" || s + 0 < 0) next
	if (s + 0 < lo) below++
	else if (s + 0 > hi) above++
	else { within++; print $1 " " s > "within" }
}
END { printf "below\t%d\nwithin\t%d\nabove\t%d\n", below, within, above }
AWK

test_expect_success 'on 3000 rows: counts and the top of the band by hand' '
	pal-synth --rows 3000 --dim 3 --seed 7 --frame-rows 700 --nan-every 11 \
		>in.pal &&
	pal-cat --to csv in.pal >in.csv &&
	awk -v lo=0.3 -v hi=0.8 -f band.awk in.csv >want &&
	pal-select --trust-lo 0.3 --trust-hi 0.8 --top 40 --stats st.tsv \
		--rest rest.pal in.pal >sel.pal &&
	grep -E "^(below|within|above)	" st.tsv >got &&
	test_cmp want got &&
	awk "\$2 > 0 { n++ } END { exit !(n == 3) }" got &&
	sort -k2,2gr within | head -40 | cut -d" " -f1 >want &&
	ids sel.pal >got && test_cmp want got &&
	rows in.pal >all && rows sel.pal rest.pal >both && test_cmp all both &&
	pal-select --trust-lo 0.3 --trust-hi 0.8 --top 25 --by random --seed 3 \
		in.pal >rnd.pal &&
	ids rnd.pal | sort >got && test "$(wc -l <got)" -eq 25 &&
	cut -d" " -f1 within | sort >inband &&
	test -z "$(comm -23 got inband)"
'

test_expect_success 'completion offers the new options' '
	if ! command -v bash >/dev/null 2>&1; then exit 0; fi
	bash -c ". \"$TOP/share/pal.bash\"
		COMP_WORDS=(pal-select --tru); COMP_CWORD=1; COMPREPLY=()
		_pal_complete; printf \"%s\n\" \"\${COMPREPLY[@]}\"" | sort >got &&
	printf "%s\n" --trust-hi --trust-lo >want && test_cmp want got
'

test_expect_success 'usage errors exit 2 with a message and write nothing' '
	while IFS="|" read -r args msg; do
		eval "must_fail 2 pal-select $args -o out.pal 2>err" </dev/null \
			>/dev/null || { cat err; exit 1; }
		test_grep "$msg" err || exit 1
	done <<-EOF
	--trust-lo 0.5 --trust-hi 0.1 c.pal|--trust-lo 0.5 is above --trust-hi 0.1
	--trust-lo inf --trust-hi 9 c.pal|--trust-lo inf is above --trust-hi 9
	--trust-lo -0.1 --trust-hi 1 c.pal|--trust-lo: .-0.1. must not be negative
	--trust-hi -1 c.pal|--trust-hi: .-1. must not be negative
	--trust-lo nan c.pal|--trust-lo: .nan. is not a number
	--trust-hi x c.pal|--trust-hi: .x. is not a number
	--by mean --trust-hi 1 c.pal|--by applies only with --top
	c.pal|give --top, --threshold, --trust-lo or --trust-hi
	--top 1 --stats - --rest - c.pal|only one output can go to standard output
	--top 1 --rest s.tsv --stats s.tsv c.pal|.s.tsv. is named as two outputs
	EOF
	! test -e out.pal && ! test -e s.tsv
'

test_expect_success 'no std column: exit 1, no output, no stats' '
	pal-cat --columns id,mean c.pal >nostd.pal &&
	must_fail 1 pal-select --trust-hi 1 --stats nst.tsv -o out.pal \
		nostd.pal 2>err &&
	test_grep "no column .std., needed by the trust band (nostd.pal: frame 0 at offset 0)" err &&
	! test -e out.pal && ! test -e nst.tsv &&
	test -z "$(ls | grep tmp)"
'

test_done
