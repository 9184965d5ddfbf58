#!/bin/sh
# pal-peakmem (tests/helpers), the memory meter of bench/loop.sh: the
# largest sum over a process tree, not the largest process; orphans of
# the tree counted; the command's exit status passed on.  Processes that
# hold a known amount: python3 with 48 MiB of bytes written (so resident).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! [ -x "$PY" ]; then
	test_skip 'pal-peakmem' "no $PY"
	test_done
fi
# hold: 48 MiB resident for 3 s (the bytes are written, so resident).
hold="$PY -c 'import time; b = b\"x\" * (48 << 20); time.sleep(3)'"
# get KEY: the value of KEY in mem.out.
get() { awk -v k="$1" '$1 == k { print $2 }' mem.out; }

test_expect_success 'two processes at once: the sum is their total, the single figure one of them' '
	pal-peakmem -o mem.out sh -c "$hold & $hold; wait" &&
	cat mem.out &&
	test "$(get peak_pss_kb)" -ge $((2 * 48 * 1024)) &&
	test "$(get peak_rss_kb)" -ge "$(get peak_pss_kb)" &&
	test "$(get max_single_rss_kb)" -ge $((48 * 1024)) &&
	test "$(get max_single_rss_kb)" -lt $((2 * 48 * 1024)) &&
	test "$(get peak_procs)" -ge 3 &&
	test "$(get samples)" -ge 10
'

test_expect_success 'one after the other: the sum is one of them' '
	pal-peakmem -o mem.out sh -c "$hold; $hold" &&
	cat mem.out &&
	test "$(get peak_pss_kb)" -ge $((48 * 1024)) &&
	test "$(get peak_pss_kb)" -lt $((2 * 48 * 1024))
'

test_expect_success 'an orphan of the tree (its parent gone) is still counted' '
	pal-peakmem -o mem.out sh -c "($hold & $hold &); sleep 2.5" &&
	cat mem.out &&
	test "$(get peak_pss_kb)" -ge $((2 * 48 * 1024))
'

test_expect_success 'the exit status of the command; 128 + the signal that killed it' '
	pal-peakmem -o mem.out sh -c "exit 3"; test $? -eq 3 &&
	pal-peakmem -o mem.out sh -c "kill -TERM \$\$"; test $? -eq 143 &&
	pal-peakmem -o mem.out true && test -s mem.out
'

test_expect_success 'a command not found: 127, its message; bad usage: 2' '
	pal-peakmem -o mem.out no-such-command 2>err; test $? -eq 127 &&
	test_grep "cannot run .no-such-command.: No such file or directory" err &&
	pal-peakmem 2>err; test $? -eq 2 &&
	test_grep "^usage: pal-peakmem" err &&
	pal-peakmem -i 0 true 2>err; test $? -eq 2 &&
	test_grep "bad period .0." err
'

test_done
