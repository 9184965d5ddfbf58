#!/bin/sh
# make-goldens.sh: regenerate the corrupt golden streams of tests/corrupt.
#
#	sh tests/corrupt/make-goldens.sh	(after make test-progs)
#
# Each golden is a small stream written by pal-cat (or by pal-mangle from
# nothing) and then damaged by pal-mangle (tests/helpers/pal-mangle.c), one
# defect per file.  This script is the one place that says how each was
# made: it writes the goldens, tests/corrupt/expected (a substring of the
# message that each must give) and tests/corrupt/README (the table of what
# each holds, and the command that made it).  t020-corrupt.sh checks them.
# The goldens are committed: rerun this only to add one or after a change
# of format, and look at the diff of expected.
set -eu
DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$DIR/../.." && pwd)
PATH=$TOP/bin:$TOP/build/default/tests:$PATH
LC_ALL=C
export PATH LC_ALL
cd "$DIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The base streams.  base: the stream of pal-stream(5)'s example, one data
# frame at 0 (header 96 bytes, payload 72) and its end frame at 168.
# zbase: 16 rows of zeros, compressed: a data frame at 0 whose zlib payload
# (stored_len 47, padded to 48) starts at 96, and an end frame at 144.
# mbase: a metadata frame "a=1\n" (payload at 48, padded to 56) and an end
# frame at 56.  sbase: one row of id and status (i32): the 4 bytes of
# status at 104 are followed by 4 of padding, then the end frame at 112.
printf 'x.0,x.1\n1,2\n3,4\n5,6\n' | pal-cat --from csv -o "$tmp/base"
{ echo x; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do echo 0; done; } |
	pal-cat --from csv --compress -o "$tmp/zbase"
pal-mangle /dev/null meta 1 'a=1\n' end 0 >"$tmp/mbase"
printf 'status\n5\n' | pal-cat --from csv -o "$tmp/sbase"
printf '%s\n' "$(pal-mangle --frames "$tmp/zbase")" | {
	read -r off kind codec hlen ncols nrows raw stored
	[ "$codec" = 1 ] && [ "$stored" = 47 ] && [ "$hlen" = 96 ] || {
		echo "make-goldens.sh: zbase compressed differently" \
			"(codec $codec, stored_len $stored); fix the offsets" >&2
		exit 1
	}
}

rm -f ./*.pal expected
cat >README <<'TXT'
tests/corrupt: golden corrupt streams, one defect each.

Each NAME.pal must make `pal-cat --verify NAME.pal` and `pal-cat NAME.pal`
exit 1 (never by a signal) with a message holding the text given for it in
`expected`; t020-corrupt.sh checks that, under a small `ulimit -v` too, and
the corpus replayers of make check (build/*/tests/replay-*) read every file
here and must not crash.  All of it is made by make-goldens.sh, which also
wrote this file: edit the script, not the goldens.

The base streams (see make-goldens.sh): base is the 216-byte example of
pal-stream(5) (data frame at 0 with a 96-byte header and 72 bytes of
payload, end frame at 168); zbase is 16 rows of zeros written with
--compress (zlib payload of 47 bytes at 96, end frame at 144); mbase is a
metadata frame "a=1\n" and an end frame at 56; sbase is a row of id and
status (i32), whose 4 bytes at 104 are followed by 4 of padding, and an
end frame at 112.  "mangle B OPS" means
`pal-mangle B OPS` (tests/helpers/pal-mangle.c): offsets are decimal, hcrc F
and pcrc F recompute the checksums of the frame at F, so that the defect is
the only one.

TXT
printf '%-28s %s\n' file 'defect; how it was made' >>README

# mk NAME 'expected substring' 'defect' base ops...: make NAME.pal by
# running pal-mangle on the base stream with the ops.
mk() {
	name=$1 want=$2 what=$3 base=$4
	shift 4
	pal-mangle "$tmp/$base" "$@" >"$name.pal"
	printf '%s.pal: %s\n' "$name" "$want" >>expected
	printf '%-28s %s;\n%-28s   mangle %s %s\n' "$name.pal" "$what" "" \
		"$base" "$*" | sed "s|$tmp/||g; s/0\{256\}/(256 zeros)/" >>README
}
# raw NAME 'expected substring' 'defect' 'printf format': bytes as given.
raw() {
	printf "$4" >"$1.pal"
	printf '%s.pal: %s\n' "$1" "$2" >>expected
	printf '%-28s %s;\n%-28s   printf %s\n' "$1.pal" "$3" "" "'$4'" >>README
}

# Files that are not pal streams at all.
raw empty 'empty input, not a pal stream' 'an empty file' ''
raw csv-text 'bad magic: not a pal stream' 'CSV text given as a stream' \
	'x.0,x.1\n1,2\n3,4\n'
raw short-garbage 'bad magic: not a pal stream' 'three bytes that are no magic' \
	'abc'
raw magic-only 'truncated frame header: got 4 of 44 bytes' \
	'the magic alone' '\211PAL'

# The fixed header, in the order the reader checks it.
mk bad-magic 'bad magic: not a pal stream' 'first magic byte changed' \
	base set 0 0x88
mk bad-version 'unsupported format version 2' 'version 2' \
	base set 4 2 hcrc 0
mk unknown-kind 'unknown frame kind 0x58' "kind 'X'" \
	base set 5 0x58 hcrc 0
mk unknown-codec 'unknown codec 2' 'codec 2' \
	base set 6 2 hcrc 0
mk reserved-byte 'reserved byte 7 is not zero' 'byte 7 set' \
	base set 7 1 hcrc 0
mk header-len-odd 'header length 100 is not a multiple of 8' \
	'header_len 100' base set32 8 100
mk header-len-small 'header length 40 is not a multiple of 8 in 48..1048576' \
	'header_len 40, below the fixed part' base set32 8 40
mk header-len-huge 'header length 2097152 is not a multiple of 8 in 48..1048576' \
	'header_len 2 MiB' base set32 8 2^21
mk header-len-past-end 'truncated frame header: got 216 of 1048576 bytes' \
	'header_len 1 MiB, past the end of the input' base set32 8 2^20
mk header-crc 'header checksum mismatch' 'a bit of a column name flipped' \
	base xor 60 1
mk zero-columns '0 columns, not in 1..1024' 'a data frame of no columns' \
	base set32 12 0 hcrc 0
mk too-many-columns '1025 columns, not in 1..1024' 'ncols 1025' \
	base set32 12 1025 hcrc 0
mk column-overrun 'column table overruns the header at column 2' \
	'ncols 3 in a header that holds 2' base set32 12 3 hcrc 0

# The column table.
mk bad-dtype 'column 0: unknown dtype code 7' 'dtype 7' \
	base set 44 7 hcrc 0
mk column-reserved 'column 0: reserved bytes are not zero' \
	'reserved byte of a descriptor set' base set 46 1 hcrc 0
mk width-zero 'column 0: width 0 out of range 1..16777216' 'width 0' \
	base set32 48 0 hcrc 0
mk width-huge 'column 1: width 16777217 out of range' 'width 2^24 + 1' \
	base set32 72 16777217 hcrc 0
mk invalid-name 'column 0: invalid name' 'a name starting with a digit' \
	base set 60 0x31 hcrc 0
mk empty-name 'column 0: invalid name' 'namelen 0' \
	base set 45 0 hcrc 0
mk name-padding 'column 0: name padding is not zero' 'a byte after a name' \
	base set 62 1 hcrc 0
mk duplicate-name "duplicate column 'x'" 'two columns called x' \
	base set 45 1 set 60 0x78 set 61 0 hcrc 0
mk column-offset "column 'x' at payload offset 32, expected 24" \
	'offset of x 32 instead of 24' base set64 76 32 hcrc 0
mk header-padding 'header padding is not zero' \
	'header_len 104 with a non-zero padding byte' \
	base set32 8 104 insert 92 '\0\0\0\0\0\0\0\x01' hcrc 0

# Sizes and limits: refused before anything is allocated for them.
mk rows-2-60 'row count 1152921504606846976 exceeds the limit of 1073741824' \
	'nrows 2^60 with a valid header crc' base set64 16 2^60 hcrc 0
mk rows-2-60-consistent 'payload of 9223372036854775808 bytes exceeds the limit' \
	'nrows 2^60, raw_len, stored_len and offsets agreeing modulo 2^64: raw_len 2^63' \
	base rows 0 2^60
mk rows-2-27 "134217728 rows of column 'x' exceed the frame limit" \
	'nrows 2^27: 1 GiB of ids, then x overflows the limit' \
	base set64 16 2^27 hcrc 0
mk raw-len-limit 'payload of 1073741832 bytes exceeds the limit' \
	'raw_len and stored_len 1 GiB + 8' \
	base set64 24 1073741832 set64 32 1073741832 hcrc 0
mk raw-len-mismatch 'raw_len 80 does not match the 72 bytes of 3 rows' \
	'raw_len and stored_len 80' base set64 24 80 set64 32 80 hcrc 0
mk stored-len-mismatch 'stored_len 80 differs from raw_len 72' \
	'stored_len 80 without compression' base set64 32 80 hcrc 0
mk stored-len-impossible 'stored_len 1000 impossible for a compressed raw_len of 256' \
	'stored_len beyond compressBound(raw_len)' zbase set64 32 1000 hcrc 0
mk large-payload-truncated 'truncated payload: got 120 of 943718400 bytes' \
	'a consistent header of 39321600 rows (900 MiB) and 120 bytes of payload' \
	base rows 0 39321600
mk zlarge-short 'compressed payload inflates to 256 bytes, header says raw_len 943718400' \
	'a compressed header of 58982400 rows (900 MiB) whose 47-byte payload holds 16' \
	zbase rows 0 58982400
mk zlarge-garbage 'bad compressed payload' \
	'the same with zlib data damaged (crc made valid)' \
	zbase rows 0 58982400 xor 100 0xff pcrc 0

# Payloads.
mk payload-crc 'payload checksum mismatch' 'a bit of the payload flipped' \
	base xor 100 1
mk column-padding "column 'status': padding is not zero" \
	'a non-zero byte after an i32 column (crc made valid)' \
	sbase set 108 1 pcrc 0
mk payload-padding 'payload padding is not zero' \
	'a metadata payload with a non-zero padding byte' mbase set 53 1 pcrc 0
mk zlib-header 'bad compressed payload: incorrect header check' \
	'zlib header byte changed' zbase set 96 0x79 pcrc 0
mk zlib-ends-early 'compressed payload ends early' \
	'stored_len 40: the zlib stream cut' zbase set64 32 40 pcrc 0
mk zlib-trailing '1 bytes after the end of the compressed payload' \
	'stored_len 48 takes in a padding byte' zbase set64 32 48 hcrc 0
mk zlib-too-long 'compressed payload inflates to more than raw_len 240 bytes' \
	'15 rows declared, 16 compressed' zbase rows 0 15
mk zlib-too-short 'compressed payload inflates to 256 bytes, header says raw_len 272' \
	'17 rows declared, 16 compressed' zbase rows 0 17

# Metadata frames.
mk meta-columns 'metadata frame with 1 columns' 'ncols 1' \
	mbase set32 12 1 hcrc 0
mk meta-header-len 'header length 56 of a frame without columns' \
	'header_len 56' mbase set32 8 56 insert 44 '\0\0\0\0\0\0\0\0' hcrc 0
mk meta-limit 'metadata of 16777224 bytes exceeds the limit of 16777216' \
	'raw_len 16 MiB + 8' mbase set64 24 16777224 set64 32 16777224 hcrc 0
mk meta-no-newline 'metadata entry 0 is not terminated by a newline' \
	'"a=1"' mbase trunc 0 meta 1 'a=1' end 0
mk meta-no-equals 'metadata entry 0 is not key=value' '"abc\\n"' \
	mbase trunc 0 meta 1 'abc\n' end 0
mk meta-empty-key 'metadata entry 0 is not key=value' '"=1\\n"' \
	mbase trunc 0 meta 1 '=1\n' end 0
mk meta-bad-key 'metadata entry 0: invalid key' '"a b=1\\n"' \
	mbase trunc 0 meta 1 'a b=1\n' end 0
mk meta-long-key 'metadata entry 0 is not key=value' 'a key of 256 bytes' \
	mbase trunc 0 meta 1 \
	"$(printf '%0256d' 0)=1\\n" end 0
mk meta-nul 'metadata entry 0 holds a NUL byte' '"a=\\0\\n"' \
	mbase trunc 0 meta 1 'a=\0\n' end 0
mk meta-too-few 'metadata holds 1 entries, header says 2' \
	'nrows 2, one entry' mbase trunc 0 meta 2 'a=1\n' end 0
mk meta-too-many 'metadata holds more than the 1 entries of its header' \
	'nrows 1, two entries' mbase trunc 0 meta 1 'a=1\nb=2\n' end 0
mk meta-count-impossible '100 entries cannot fit in 4 bytes of metadata' \
	'nrows 100 for 4 bytes' mbase trunc 0 meta 100 'a=1\n' end 0
mk zmeta-short 'compressed payload inflates to 4 bytes, header says raw_len 9' \
	'compressed "a=1\\n" with raw_len 9' mbase trunc 0 zmeta 1 9 'a=1\n' end 0
mk zmeta-long 'compressed payload inflates to more than raw_len 2 bytes' \
	'compressed "a=1\\n" with raw_len 2' mbase trunc 0 zmeta 1 2 'a=1\n' end 0
mk zmeta-raw-zero 'impossible for a compressed raw_len of 0' \
	'compressed "a=1\\n" with raw_len 0' mbase trunc 0 zmeta 1 0 'a=1\n' end 0

# End frames.
mk end-count 'end frame counts 4 rows, the stream before it holds 3' \
	'nrows 4 in the end frame' base set64 184 4 hcrc 168
mk end-count-segment 'end frame counts 6 rows, the stream before it holds 3' \
	'cat base base, the second end frame counting both segments' \
	base append "$tmp/base" set64 400 6 hcrc 384
mk end-payload 'end frame with a payload' 'raw_len and stored_len 8' \
	base set64 192 8 set64 200 8 hcrc 168
mk end-codec 'end frame with a payload' 'codec 1' \
	base set 174 1 hcrc 168
mk end-columns 'end frame with 1 columns' 'ncols 1' \
	base set32 180 1 hcrc 168
mk end-only-data 'stream cut short: no end frame' \
	'an end frame, then a data frame without one' \
	mbase trunc 0 end 0 append "$tmp/base" trunc 216

# Input that ends too soon.
mk truncated-header 'truncated frame header: got 20 of 44 bytes' \
	'cut at 20' base trunc 20
mk truncated-table 'truncated frame header: got 60 of 96 bytes' \
	'cut at 60, in the column table' base trunc 60
mk truncated-payload 'truncated payload: got 24 of 72 bytes' \
	'cut at 120' base trunc 120
mk truncated-end 'truncated frame header: got 32 of 44 bytes' \
	'cut at 200, in the end frame' base trunc 200
mk cut-short 'stream cut short: no end frame' \
	'cut at 168, before the end frame' base trunc 168
mk cut-short-second 'stream cut short: no end frame' \
	'cat base base, cut before the second end frame' \
	base append "$tmp/base" trunc 384
