#!/bin/sh
# The man pages: lint-free, one per program, options in step with --help,
# and every command of their EXAMPLES sections runs (OpenBSD's regress
# practice: the manual's examples are tests).
. "$(dirname "$0")/lib.sh"
. "$TESTS/manlib.sh"

test_expect_success 'groff -mandoc -ww finds nothing to warn about' '
	for page in "$TOP"/man/*.[157]; do
		groff -mandoc -ww -z "$page" >lint 2>&1 || exit 1
		if [ -s lint ]; then
			echo "$page:"; cat lint; exit 1
		fi
	done
'

test_expect_success 'every program has a man page, and pal(7) lists it' '
	for prog in "$TOP"/bin/pal-*; do
		p=$(basename "$prog")
		test -s "$TOP/man/$p.1" || { echo "no man/$p.1"; exit 1; }
		grep -q "^\.It Xr $p 1" "$TOP/man/pal.7" ||
			{ echo "pal.7 does not list $p"; exit 1; }
	done
'

test_expect_success '--help shows the options of the SYNOPSIS, no more, no fewer' '
	for prog in "$TOP"/bin/pal-*; do
		p=$(basename "$prog")
		synopsis_options "$TOP/man/$p.1" >"$p.man"
		usage_options "$prog" >"$p.help"
		test -s "$p.man" || { echo "$p: no options in SYNOPSIS"; exit 1; }
		diff "$p.man" "$p.help" || { echo "$p: SYNOPSIS and --help differ"; exit 1; }
	done
'

test_expect_success '--help describes the options the page describes, one a line' '
	for prog in "$TOP"/bin/pal-*; do
		p=$(basename "$prog")
		described_options "$TOP/man/$p.1" >"$p.described"
		help_options "$prog" >"$p.table"
		test -s "$p.table" || { echo "$p: no Options: table in --help"; exit 1; }
		diff "$p.described" "$p.table" ||
			{ echo "$p: the page and --help describe other options"; exit 1; }
		# Each line of the table: the option, two blanks, a description.
		if "$prog" --help | sed -n "/^Options:\$/,/^\$/p" | sed "1d;/^\$/d" |
			grep -Ev "^  (-[a-zA-Z], |    )--[a-z][-a-z]*[^ ]*  +[a-z]"; then
			echo "$p: a line of the table without a description"; exit 1
		fi
		if "$prog" --help | sed -n "/^Options:\$/,/^\$/p" | grep ".\{81\}"; then
			echo "$p: a line of the table is wider than 80 columns"; exit 1
		fi
	done
'

test_expect_success 'a usage error prints the short usage, not the table' '
	for prog in "$TOP"/bin/pal-*; do
		p=$(basename "$prog")
		"$prog" --no-such-option >out 2>err
		test $? -eq 2 || { echo "$p: not exit 2"; exit 1; }
		test ! -s out && grep -q "^usage: $p" err &&
			! grep -q "^Options:" err ||
			{ echo "$p:"; cat err; exit 1; }
	done
'

test_expect_success 'every option of a SYNOPSIS is described in its page' '
	for prog in "$TOP"/bin/pal-*; do
		p=$(basename "$prog")
		for o in $(synopsis_options "$TOP/man/$p.1"); do
			option_described "$TOP/man/$p.1" "$o" ||
				{ echo "$p: $o is not described"; exit 1; }
		done
	done
'

test_expect_success 'parentheses balance in every paragraph of every page' '
	for page in "$TOP"/man/*.[157]; do
		groff -mandoc -Tascii -P-cbou -rLL=300n "$page" 2>/dev/null |
		awk -v page="${page##*/}" "BEGIN { RS = \"\" }
			{ o = gsub(/\\(/, \"(\"); c = gsub(/\\)/, \")\")
			  if (o != c) { print page \": \" \$0; bad = 1 } }
			END { exit bad }" || exit 1
	done
'

test_expect_success 'pal-cat(1) says plainly how --to and --info treat schemas' '
	groff -mandoc -Tascii -P-cbou -rLL=300n "$TOP/man/pal-cat.1" >cat.txt &&
	! grep -q "except for --to, --info" cat.txt &&
	grep -q "except with --to, whose text has one header line; --info counts a column apart for each name, type and width" cat.txt
'

for page in "$TOP"/man/*.[157]; do
	test_expect_success "the EXAMPLES of $(basename "$page") run" '
		mkdir -p "ex-${page##*/}" && cd "ex-${page##*/}" &&
		. "$TESTS/man-fixtures.sh" &&
		example_commands "$page" >commands &&
		while IFS= read -r cmd; do
			echo "\$ $cmd"
			sh -c "$cmd" </dev/null >out 2>err ||
				{ echo "exit $?"; cat err; exit 1; }
		done <commands
	'
done

test_done
