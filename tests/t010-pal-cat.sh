#!/bin/sh
# pal-cat: concatenation, CSV/TSV conversion, options, usage errors.
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

test_expect_success '--help and --version exit 0 on stdout' '
	pal-cat --help >help &&
	test_grep "^usage: pal-cat" help &&
	pal-cat --version >version &&
	test_grep "^pal-cat [0-9]" version
'

test_expect_success 'a bad option is a usage error (2)' '
	must_fail 2 pal-cat --no-such-option </dev/null 2>err &&
	test_grep "usage: pal-cat" err
'

test_done
