#!/bin/sh
# The progress line (libcommon/progress.c) as the programs show it: on a
# terminal (a pseudo-terminal made by script(1)), drawn in place with \r
# and cleared at the end; nothing on a pipe or with --quiet; whole lines in
# a log with --progress; and a message clears the line before it prints.
. "$(dirname "$0")/lib.sh"

if ! command -v script >/dev/null 2>&1; then
	test_skip 'progress on a terminal' 'no script(1) (util-linux)'
	test_done
fi

pal-fill 20 >big.pal
pal-synth --rows 400000 >pred.pal
rows=$(pal-cat --info big.pal | sed -n 's/^rows *//p')
pal-gen --method sobol --n 8 --bounds 0:1,0:1 -o c8.pal

# on_tty CMD: run CMD with stdin, stdout and stderr on a pseudo-terminal;
# what it wrote, with CR as "<CR>" and ESC as "<ESC>", into tty.out.
on_tty() {
	script -qec "$1" /dev/null </dev/null >raw 2>&1
	sed 's/\r/<CR>/g; s/\x1b/<ESC>/g' raw >tty.out
}

test_expect_success 'a terminal: the line is drawn in place and cleared' '
	on_tty "pal-cat --verify big.pal" &&
	grep -q "^<CR>pal-cat: [0-9]* rows, [0-9]* frames*, [0-9.]* [KMG]*i*B ([0-9]*%)" tty.out &&
	grep -q "<ESC>\[K<CR><ESC>\[K$" tty.out &&
	test "$(grep -c . tty.out)" -eq 1
'

test_expect_success 'a pipe: nothing' '
	pal-cat --verify big.pal 2>err &&
	test ! -s err &&
	pal-gen --method sobol --n 100000 --dim 2 -o p.pal 2>err &&
	test ! -s err &&
	pal-select --top 3 -o s.pal pred.pal 2>err &&
	test ! -s err
'

test_expect_success '--quiet: nothing on a terminal either' '
	on_tty "pal-cat --quiet --verify big.pal; pal-gen --quiet --method sobol --n 100000 --dim 2 -o q.pal; pal-select --quiet --top 3 -o s.pal pred.pal; pal-label --quiet --builtin branin -i c8.pal -o l.pal" &&
	test ! -s tty.out
'

test_expect_success 'a terminal shared with the output or a pipe: nothing' '
	on_tty "pal-cat --to csv big.pal | tail -1; pal-cat big.pal | pal-cat --verify --quiet" &&
	! grep -q "<CR>pal-cat" tty.out
'

test_expect_success '--progress into a log: whole lines, the last with the totals' '
	pal-cat --progress --verify big.pal 2>log &&
	tail -1 log >last &&
	test_grep "^pal-cat: $rows rows, [0-9]* frames, 20.0 MiB (100%)" last &&
	! grep -q "$(printf "\r")" log &&
	pal-cat --progress --to csv big.pal 2>log >/dev/null &&
	test_grep "^pal-cat: $rows rows" log
'

test_expect_success 'pal-gen: points of --n on a terminal, rows stepped in a log' '
	on_tty "pal-gen --method sobol --n 300000 --dim 2 -o g.pal" &&
	grep -q "<CR>pal-gen: [0-9]* of 300000 points ([0-9]*%)" tty.out &&
	grep -q "<CR><ESC>\[K$" tty.out &&
	pal-gen --progress --perturb 0.1 -i g.pal -o st.pal 2>log &&
	tail -1 log >last &&
	test_grep "^pal-gen: 300000 rows, .* (100%)" last
'

test_expect_success 'pal-select: rows read' '
	pal-select --progress --top 3 -o s.pal pred.pal 2>log &&
	tail -1 log >last &&
	test_grep "^pal-select: 400000 rows, .* (100%)" last &&
	on_tty "pal-select --top 3 -o s.pal pred.pal" &&
	grep -q "<CR>pal-select: [0-9]* rows" tty.out
'

test_expect_success 'pal-label: rows done of all, failures; a message clears the line' '
	pal-label --progress --exec "if [ \$PAL_ID = 3 ]; then exit 1; fi; echo 1" \
		-i c8.pal -o l.pal 2>log &&
	test_grep "^pal-label: 8 of 8 rows (100%), 1 failed" log &&
	on_tty "pal-label --exec \"if [ \\\$PAL_ID = 3 ]; then exit 1; fi; sleep 0.1; echo 1\" -i c8.pal -o l.pal" &&
	grep -q "<CR>pal-label: [0-9]* rows" tty.out &&
	grep -q "<CR><ESC>\[Kpal-label: row 3 (rank 0): exited with status 1" tty.out
'

test_expect_success 'at most 10 redraws a second' '
	pal-gen --method sobol --n 60 --bounds 0:1,0:1 -o c60.pal &&
	t0=$(date +%s%N) &&
	on_tty "pal-label --exec \"sleep 0.02; echo 1\" -i c60.pal -o l.pal" &&
	t1=$(date +%s%N) &&
	draws=$(grep -o "<CR>pal-label:" tty.out | wc -l) &&
	limit=$(( (t1 - t0) / 100000000 + 2 )) &&
	echo "$draws redraws in $(( (t1 - t0) / 1000000 )) ms, at most $limit" &&
	test "$draws" -ge 2 && test "$draws" -le "$limit" &&
	test "$draws" -lt 60
'

test_done
