#!/bin/sh
# t020-corrupt: bad input is reported with its offset, never a crash, never
# accepted.
#
# The goldens of tests/corrupt (one defect each, with the message each must
# give in tests/corrupt/expected); every truncation and every flipped byte
# of three small streams (uncompressed with metadata, compressed, and two
# streams concatenated); headers that lie about sizes, under a small
# ulimit -v; and streams that lack their end frame.
. "$(dirname "$0")/lib.sh"

CORRUPT=$TESTS/corrupt

# small_mem cmd...: run cmd in about 100 MB of address space, so that a
# reader that believed a header's sizes would run out of memory.  ASan
# reserves terabytes of address space and cannot start under ulimit -v, so
# under SAN=1 its allocator is capped at 64 MiB per allocation instead; a
# reader that allocated what a lying header announces would then fail with
# "out of memory" rather than the message expected.
if sh -c 'ulimit -v 100000 && exec pal-cat --version' >/dev/null 2>&1; then
	small_mem() { (ulimit -v 100000 && exec "$@"); }
	mem_how='ulimit -v 100000'
else
	small_mem() {
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=64 \
			"$@"
	}
	mem_how='ASan allocations capped at 64 MiB'
fi

# check_golden NAME WANT: NAME makes pal-cat --verify, and plain pal-cat,
# exit 1 with one message holding WANT; what plain pal-cat wrote to a pipe
# before it stopped is at most a stream without its end frame; with -o it
# leaves no file.
check_golden() {
	f=$CORRUPT/$1
	{
		must_fail 1 small_mem pal-cat --verify "$f" 2>err.v &&
		test "$(wc -l <err.v)" -eq 1 &&
		test_grep '^pal-cat: ' err.v &&
		if ! grep -qF -- "$2" err.v; then
			echo "--verify: no '$2' in:" >&2
			cat err.v >&2
			false
		fi &&
		{ small_mem pal-cat "$f" 2>err.c; echo $? >rc; } | cat >out &&
		test "$(cat rc)" -eq 1 &&
		if ! grep -qF -- "$2" err.c; then
			echo "pal-cat: no '$2' in:" >&2
			cat err.c >&2
			false
		fi &&
		if test -s out; then
			must_fail 1 pal-cat --verify out 2>err.o &&
			test_grep 'stream cut short: no end frame' err.o
		fi &&
		must_fail 1 pal-cat -o out.pal "$f" 2>/dev/null &&
		test ! -e out.pal
	} </dev/null
}

test_expect_success 'every golden is listed in expected, and only those' '
	(cd "$CORRUPT" && ls *.pal) >have &&
	sed "s/: .*//" "$CORRUPT/expected" | sort >listed &&
	test_cmp have listed
'

while IFS= read -r line; do
	name=${line%%: *}
	want=${line#*: }
	test_expect_success "$name: $want ($mem_how)" \
		'check_golden "$name" "$want"'
done <"$CORRUPT/expected"

# The streams damaged everywhere.  a: a metadata frame, then two data frames
# of ids and an i32 column (padded in the second frame); z: two compressed
# data frames; c: two streams concatenated.
test_expect_success 'the streams to damage are valid' '
	printf "status\n1\n2\n-3\n" | pal-cat --from csv --rows 2 -o d.pal &&
	pal-mangle /dev/null meta 2 "unit=eV\nsource=t020\n" append d.pal >a.pal &&
	{ echo x; seq 0 31 | sed "s/.*/0/"; } |
		pal-cat --from csv --rows 16 --compress -o z.pal &&
	printf "x\n1\n2\n" | pal-cat --from csv -o c1.pal &&
	printf "status\n5\n" | pal-cat --from csv -o c2.pal &&
	cat c1.pal c2.pal >c.pal &&
	pal-cat --verify a.pal z.pal c.pal &&
	for s in a z c; do
		pal-mangle --frames $s.pal >$s.frames || return 1
	done &&
	cut -d" " -f2,3,6 a.frames >kinds &&
	printf "M 0 2\nD 0 2\nD 0 1\nE 0 3\n" >expect &&
	test_cmp expect kinds &&
	cut -d" " -f2,3,6 z.frames >kinds &&
	printf "D 1 16\nD 1 16\nE 0 32\n" >expect &&
	test_cmp expect kinds &&
	cut -d" " -f1,2 c.frames >kinds &&
	printf "0 D\n128 E\n176 D\n288 E\n" >expect &&
	test_cmp expect kinds
'

# frame_at FRAMES N: the offset of the frame that holds byte N.
frame_at() {
	at=0
	while read -r off rest; do
		[ "$off" -le "$2" ] && at=$off
	done <"$1"
	echo "$at"
}

# damage S HOW: make every damaged copy of S.pal (pal-mangle --every HOW),
# run pal-cat on each alone (its own process, output to a pipe), and check
# that each exits 1 with a message naming the offset: "input ends at offset
# N" for a truncation at N, "frame i at offset F" for a flip in the frame at
# F.  What pal-cat wrote to a pipe before it stopped at a truncation must
# not verify as a complete stream.  Cut points listed in $valid_cuts (ends
# of segments) must give a valid stream instead.  Under SAN=1 leak checking
# is off here: it doubles the time of these thousands of runs, and the
# goldens above check the same error paths for leaks.
nolsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
damage() {
	s=$1 how=$2
	p=$s-$(echo "$how" | tr = -)
	len=$(wc -c <$s.pal)
	pal-mangle --every "$how" $p $s.pal || return 1
	n=0 bad=0 cases=0
	[ "$how" = trunc ] && n=1
	while [ $n -lt "$len" ]; do
		case " $valid_cuts " in
		*" $n "*)
			if [ "$how" = trunc ]; then
				pal-cat --verify $p.$n || bad=$((bad + 1))
				rm $p.$n
				n=$((n + 1))
				continue
			fi
		esac
		if [ "$how" = trunc ]; then
			want="ends at offset $n"
		else
			want="frame [0-9]* at offset $(frame_at $s.frames $n)"
		fi
		if [ "$how" = trunc ]; then
			{
				ASAN_OPTIONS=$nolsan pal-cat $p.$n 2>$p.$n.err
				echo $? >$p.$n.rc
			} </dev/null | cat >$p.$n.out
			read -r rc <$p.$n.rc
		else
			ASAN_OPTIONS=$nolsan pal-cat $p.$n >/dev/null 2>$p.$n.err
			rc=$?
		fi
		msg=
		read -r msg <$p.$n.err
		# shellcheck disable=SC2254
		case $rc:$msg in
		1:"pal-cat: "*$want[!0-9]*)
			;;
		*)
			echo "$p.$n: exit $rc, '$msg', wanted '$want'" >&2
			bad=$((bad + 1))
		esac
		[ -s $p.$n.out ] || rm -f $p.$n.out
		cases=$((cases + 1))
		n=$((n + 1))
	done
	echo "$s, $how: $cases cases, $bad wrong" >&2
	[ $bad -eq 0 ] || return 1
	# The outputs that are not empty hold frames written before the
	# defect, and no end frame.
	set -- $p.*.out
	if [ -e "$1" ]; then
		must_fail 1 pal-cat --verify "$@" 2>outs.err &&
		test "$(grep -c "stream cut short: no end frame" outs.err)" -eq $# ||
		{ cat outs.err >&2; return 1; }
	fi
}

# verify_all S HOW: the same damaged copies given to one pal-cat --verify
# (the other path to the reader's messages), which must report each of
# them, once, naming it.
verify_all() {
	s=$1 how=$2
	p=$s-$(echo "$how" | tr = -)
	len=$(wc -c <$s.pal)
	[ -e $p.1 ] || return 1	# made by damage
	n=0
	[ "$how" = trunc ] && n=1
	files=
	while [ $n -lt "$len" ]; do
		[ -e $p.$n ] && files="$files $p.$n"
		n=$((n + 1))
	done
	# shellcheck disable=SC2086
	must_fail 1 pal-cat --verify $files 2>verify.err || return 1
	for f in $files; do
		echo "$f"
	done >want
	sed -n "s/.*(\($p\.[0-9]*\)[:,)].*/\1/p" verify.err >got
	test_cmp want got &&
	test "$(wc -l <verify.err)" -eq "$(wc -l <want)"
}

valid_cuts=
test_expect_success 'a stream cut at every offset: exit 1, "ends at offset N"' '
	damage a trunc && damage z trunc
'
valid_cuts=$(wc -c <c1.pal)
test_expect_success 'two streams cut at every offset but between them' '
	damage c trunc
'
valid_cuts=
test_expect_success 'each byte xor 0xff: exit 1, "frame i at offset F"' '
	damage a xor=0xff && damage z xor=0xff && damage c xor=0xff
'
test_expect_success 'each byte xor 0x01: exit 1, "frame i at offset F"' '
	damage a xor=0x01 && damage z xor=0x01 && damage c xor=0x01
'
test_expect_success 'every cut and flip again, all in one pal-cat --verify' '
	for s in a z c; do
		for how in trunc xor=0x01 xor=0xff; do
			verify_all $s $how || return 1
		done
	done
'

test_expect_success 'the messages say where, exactly' '
	pal-mangle c1.pal trunc 120 >t.pal &&
	must_fail 1 pal-cat --verify t.pal 2>err &&
	echo "pal-cat: truncated payload: got 24 of 32 bytes (t.pal: frame 0 at offset 0, input ends at offset 120)" >expect &&
	test_cmp expect err &&
	pal-mangle c.pal trunc 288 | must_fail 1 pal-cat --verify 2>err &&
	echo "pal-cat: stream cut short: no end frame (stdin: input ends at offset 288 after 3 frames)" >expect &&
	test_cmp expect err &&
	pal-mangle c.pal xor 200 1 | must_fail 1 pal-cat >/dev/null 2>err &&
	echo "pal-cat: header checksum mismatch (stdin: frame 2 at offset 176)" >expect &&
	test_cmp expect err
'

test_expect_success "2^60 rows with a valid crc: refused ($mem_how)" '
	printf "x\n1\n" | pal-cat --from csv -o one.pal &&
	pal-mangle one.pal set64 16 2^60 hcrc 0 >huge.pal &&
	must_fail 1 small_mem pal-cat --verify huge.pal 2>err &&
	test_grep "row count 1152921504606846976 exceeds the limit" err &&
	must_fail 1 small_mem pal-cat <huge.pal >/dev/null 2>err &&
	test_grep "row count 1152921504606846976 exceeds the limit" err
'

# 900 MiB of rows announced: 39321600 rows of id (u64) and x (f64, width 2).
test_expect_success "900 MiB announced, 20 MB sent: truncated, not out of memory ($mem_how)" '
	pal-mangle $CORRUPT/large-payload-truncated.pal trunc 168 >head.pal &&
	{ cat head.pal && head -c 20000000 /dev/zero; } |
		must_fail 1 small_mem pal-cat --verify 2>err &&
	echo "pal-cat: truncated payload: got 20000072 of 943718400 bytes (stdin: frame 0 at offset 0, input ends at offset 20000168)" >expect &&
	test_cmp expect err
'

test_expect_success "a compressed frame announcing 900 MiB: no allocation for it ($mem_how)" '
	{ echo x; seq 0 999 | sed "s/.*/0/"; } |
		pal-cat --from csv --compress -o zeros.pal &&
	pal-mangle zeros.pal rows 0 58982400 >big.pal &&
	must_fail 1 small_mem pal-cat <big.pal >/dev/null 2>err &&
	test_grep "inflates to 16000 bytes, header says raw_len 943718400" err &&
	pal-mangle zeros.pal rows 0 58982400 xor 100 0xff pcrc 0 >garbage.pal &&
	must_fail 1 small_mem pal-cat --verify garbage.pal 2>err &&
	test_grep "bad compressed payload" err
'

test_expect_success 'a stream without its end frame is cut short, also after a clean segment' '
	pal-mangle c1.pal trunc 128 | must_fail 1 pal-cat --verify 2>err &&
	test_grep "stream cut short: no end frame (stdin: input ends at offset 128 after 1 frames)" err &&
	cat c1.pal c1.pal | pal-mangle - trunc 304 >cut.pal &&
	must_fail 1 pal-cat --verify cut.pal 2>err &&
	test_grep "stream cut short" err &&
	{ pal-cat cut.pal 2>err; echo $? >rc; } | cat >out &&
	test "$(cat rc)" -eq 1 &&
	test_grep "stream cut short" err &&
	must_fail 1 pal-cat --verify out 2>err &&
	test_grep "stream cut short: no end frame (out: input ends at offset 256 after 2 frames)" err
'

test_expect_success 'a CSV header with a long bad name still says where' '
	{ printf "1%0500d,x\n" 0 && echo 1,2; } >long.csv &&
	must_fail 1 pal-cat --from csv long.csv >/dev/null 2>err &&
	test_grep "^pal-cat: invalid column name .* (long.csv: line 1, field 1)\$" err &&
	tr , "\t" <long.csv | must_fail 1 pal-cat --from tsv >/dev/null 2>err &&
	test_grep "^pal-cat: invalid column name .* (stdin: line 1, field 1)\$" err
'

test_done
