#!/bin/sh
# What pal-label reads: its input stream, whose errors name the file, and
# the numbers an --exec oracle prints.
#
# The numbers an --exec oracle prints are read as decimal doubles, and
# nothing else: a number beyond a double is infinite (status 6, non-finite),
# one that would round to zero is bad output (status 4), and C hexadecimal
# ("0x10", which strtod reads as 16) is not a number (status 4).
. "$(dirname "$0")/lib.sh"

printf 'x\n0.5\n' | pal-cat --from csv -o in.pal

# status_of OUTPUT: the status pal-label gives a row whose oracle prints it.
status_of() {
	pal-label --outputs 1 --exec "echo $1" in.pal >out.pal 2>err &&
	pal-cat --columns status --to csv out.pal | sed 1d
}

test_expect_success '1e999 and -1e999 are infinite: status 6 (non-finite)' '
	test "$(status_of 1e999)" = 6 &&
	test_grep "non-finite result on line 1: \"1e999\"" err &&
	test "$(status_of -1e999)" = 6
'

test_expect_success '1e-400 is not taken as 0: status 4, said why' '
	test "$(status_of 1e-400)" = 4 &&
	test_grep "bad output: line 1 has a number too close to zero for a double: \"1e-400\"" err
'

test_expect_success '0x10 is not 16: status 4, not numbers' '
	test "$(status_of 0x10)" = 4 &&
	test_grep "bad output: line 1 is not numbers: \"0x10\"" err &&
	test "$(status_of 0x1p-3)" = 4
'

test_expect_success 'plain decimals, subnormals and zero are still read exactly' '
	pal-label --outputs 3 --exec "echo 1e-320 -0.0e-400 1.5e308" in.pal >ok.pal &&
	pal-cat --columns status,y --to csv ok.pal | sed 1d >got &&
	echo "0,9.99988867182683e-321,-0,1.5e+308" >want &&
	test_cmp want got
'

test_expect_success 'input errors name the file (stdin as stdin)' '
	printf "y\n1\n" | pal-cat --from csv -o nox.pal &&
	must_fail 1 pal-label --builtin branin nox.pal >out 2>err &&
	test_grep "^pal-label: no column .x. (nox.pal: frame 0 at offset 0)$" err &&
	must_fail 1 pal-label --builtin branin <nox.pal >out 2>err &&
	test_grep "^pal-label: no column .x. (stdin: frame 0 at offset 0)$" err &&
	printf "id,x\n1,1\n" | pal-cat --from csv --type id=i64 -o badid.pal &&
	must_fail 1 pal-label --builtin branin badid.pal >out 2>err &&
	test_grep "^pal-label: column .id. is i64 of width 1, not u64 (badid.pal: frame 0 at offset 0)$" err &&
	printf "x.0,x.1\n1,2\n" | pal-cat --from csv -o two.pal &&
	cat two.pal in.pal >mixed.pal &&
	must_fail 1 pal-label --builtin branin -i mixed.pal >out 2>err &&
	test_grep "^pal-label: columns change (mixed.pal: frame [0-9]* at offset [0-9]*): pal-label needs one schema$" err &&
	must_fail 1 pal-label --builtin branin in.pal >out 2>err &&
	test_grep "^pal-label: x has 1 element per row, but branin needs dimension 2 (in.pal: frame 0 at offset 0)$" err
'

test_done
