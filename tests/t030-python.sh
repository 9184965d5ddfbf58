#!/bin/sh
# share/pal_stream.py, the numpy reader and writer written from
# pal-stream(5) alone, against pal-cat in both directions: what one writes
# the other reads, value for value and byte for byte, and both refuse the
# same corrupt input.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PS=$TOP/share/pal_stream.py
PYTHONPATH=$TOP/share
PYTHONDONTWRITEBYTECODE=1
export PY PS PYTHONPATH PYTHONDONTWRITEBYTECODE

titles='python writes the EXAMPLES stream of pal-stream(5) byte for byte
python reads what pal-cat wrote from CSV, values exact
python dump matches pal-cat --to csv byte for byte
python reads pal-cat --compress; zlib level 6 output is identical
python reads pal-cat --rows frames; default frames match pal-cat
python reads concatenated streams (cat a.pal b.pal)
python reads a stream without data frames (pal-cat --head 0)
pal-cat reads python streams: every dtype, widths, frames, zero rows
pal-cat reads compressed python streams
pal-cat --info shows the metadata python wrote
python writer refuses bad columns, dtypes and metadata
a python writer that dies leaves a stream cut short for both
truncated input: python names the offset, pal-cat agrees
a flipped byte: python names the frame offset, pal-cat agrees
no end frame, empty input: both refuse, python tells which
a header declaring 2^60 rows is refused by both
checks come in the order of the page
two schemas: read_all and dump refuse them, as pal-cat --to does
the command line: verify exit codes, usage errors exit 2
the python reader refuses every golden corrupt stream that pal-cat refuses'

if ! "$PY" -c 'import numpy' 2>/dev/null; then
	while read -r t; do
		test_skip "$t" "no numpy for $PY"
	done <<-EOF
	$titles
	EOF
	test_done
fi

# gen.py N SEED: in.csv with every pal type (pal-cat --from csv --type
# b=u8 ...), written from random arrays kept in ref.npz.  Floats go out as
# the shortest decimal that reads back exactly (repr; %.9g for f32).
cat >gen.py <<'EOF'
import sys
import numpy as np
n, seed = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(seed)
f = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)
f[:9] = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308,
         0.1, 1e300]
x = rng.random((n, 3))
g = (rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)).astype('f4')
g[:4] = [1.4e-45, np.finfo('f4').max, -0.0, np.nan]
b = rng.integers(0, 256, n).astype('u1')
c = rng.integers(-2**31, 2**31, n).astype('i4')
c[:2] = [-2**31, 2**31 - 1]
d = rng.integers(-2**63, 2**63 - 1, n, dtype='i8', endpoint=True)
d[:2] = [-2**63, 2**63 - 1]
e = rng.integers(0, 2**64 - 1, n, dtype='u8', endpoint=True)
e[:2] = [0, 2**64 - 1]
np.savez('ref.npz', f=f, x=x, g=g, b=b, c=c, d=d, e=e)
with open('in.csv', 'w') as out:
    out.write('f,x.0,x.1,x.2,g,b,c,d,e\n')
    for i in range(n):
        out.write(','.join([repr(float(f[i]))] +
                           [repr(float(v)) for v in x[i]] +
                           ['%.9g' % g[i], str(b[i]), str(c[i]), str(d[i]),
                            str(e[i])]) + '\n')
EOF
TYPES='--type g=f32 --type b=u8 --type c=i32 --type d=i64 --type e=u64'

# same.py A B: the bits of every column of ref.npz equal those read from
# A by pal_stream.read_all, and id counts 0.., in that column order; B, if
# given, is a second stream that must read to the same columns.
cat >same.py <<'EOF'
import sys
import numpy as np
import pal_stream
ref = np.load('ref.npz')
cols, meta = pal_stream.read_all(sys.argv[1])
assert list(cols) == ['id', 'f', 'x', 'g', 'b', 'c', 'd', 'e'], list(cols)
n = len(ref['f'])
assert cols['id'].dtype == np.dtype('<u8')
assert (cols['id'] == np.arange(n)).all()
for k in ref.files:
    a, r = cols[k], ref[k]
    assert a.dtype == r.dtype.newbyteorder('<'), (k, a.dtype, r.dtype)
    assert a.shape == r.shape, (k, a.shape, r.shape)
    assert a.tobytes() == r.tobytes(), k
for other in sys.argv[2:]:
    cols2, _ = pal_stream.read_all(other)
    assert list(cols2) == list(cols)
    for k in cols:
        assert cols2[k].tobytes() == cols[k].tobytes(), k
print('same', n)
EOF

# pywrite.py OUT COMPRESS: a python stream of every dtype, widths 1 and
# more, a zero-row frame, several frames and metadata; expect.csv holds
# the CSV that pal-cat --to csv must print for it, formatted here from the
# arrays (integers plainly, floats in the shortest %.Ng that reads back),
# and expect.meta the metadata lines of pal-cat --info.
cat >pywrite.py <<'EOF'
import sys
import numpy as np
import pal_stream
out, level = sys.argv[1], (None if sys.argv[2] == '0' else int(sys.argv[2]))
rng = np.random.default_rng(30)
n = 23
cols = {
    'id': np.arange(n, dtype='u8'),
    'u': rng.integers(0, 256, n).astype('u1'),
    'i': rng.integers(-2**31, 2**31, (n, 3)).astype('>i4'),
    'j': rng.integers(-2**63, 2**63 - 1, n, dtype='i8', endpoint=True),
    'k': rng.integers(0, 2**64 - 1, (n, 2), dtype='u8', endpoint=True),
    'g': (rng.standard_normal(n) * 1e20).astype('f4'),
    'x': rng.standard_normal((n, 4)) * 10.0 ** rng.integers(-300, 300, (n, 4)),
    'z': np.zeros((n, 40)),
}
cols['u'][:2] = [0, 255]
cols['g'][:3] = [np.nan, np.inf, 1e-45]
cols['x'][0, :3] = [-np.inf, -0.0, 5e-324]
meta = [('source', 'pal_stream.py test'), ('units.x', 'bohr'),
        ('empty', ''), ('a-b:c_d', 'x=y, z')]

def fmt(v):
    if v.dtype.kind != 'f':
        return str(int(v))
    if np.isnan(v):
        return 'nan'
    if np.isinf(v):
        return 'inf' if v > 0 else '-inf'
    f32 = v.dtype.itemsize == 4
    for p in (range(6, 10) if f32 else range(15, 18)):
        s = '%.*g' % (p, v)
        if (np.float32(float(s)) if f32 else float(s)) == v:
            return s

with pal_stream.Writer(out, compress=level, rows_per_frame=5) as w:
    w.write_meta(meta)
    w.write_columns({k: a[:0] for k, a in cols.items()})
    w.write_columns(cols)
    w.write_meta({'done': 'yes'})
with open('expect.csv', 'w') as f:
    head = []
    for k, a in cols.items():
        head += [k] if a.ndim == 1 else ['%s.%d' % (k, j)
                                         for j in range(a.shape[1])]
    f.write(','.join(head) + '\n')
    for r in range(n):
        row = []
        for a in cols.values():
            row += [fmt(v) for v in np.atleast_1d(a[r])]
        f.write(','.join(row) + '\n')
with open('expect.meta', 'w') as f:
    for k, v in meta + [('done', 'yes')]:
        f.write('meta     %s=%s\n' % (k, v))
EOF

# err.py FILE WHAT OFFSET: pal_stream.read_all(FILE) must raise
# PalStreamError with .offset OFFSET and WHAT and "offset OFFSET" in its
# message.
cat >err.py <<'EOF'
import sys
import pal_stream
path, what, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    pal_stream.read_all(path)
except pal_stream.PalStreamError as e:
    print(e)
    assert e.offset == off, (e.offset, off)
    assert what in str(e), (what, str(e))
    assert 'offset %d' % off in str(e), str(e)
else:
    raise SystemExit('no PalStreamError for %s' % path)
EOF

test_expect_success 'python writes the EXAMPLES stream of pal-stream(5) byte for byte' '
	printf "x.0,x.1\n1,2\n3,4\n5,6\n" | pal-cat --from csv >c.pal &&
	"$PY" -c "
import numpy as np, pal_stream
pal_stream.write(\"p.pal\", {\"id\": np.arange(3, dtype=np.uint64),
                             \"x\": np.array([[1, 2], [3, 4], [5, 6.]])})
" &&
	test_cmp c.pal p.pal &&
	test $(wc -c <p.pal) -eq 216 &&
	sed -n "/^\.Bd -literal/,/^\.Ed/p" "$TOP/man/pal-stream.5" |
		grep "^[0-9]\{7\} " >page.od &&
	test $(wc -l <page.od) -eq 14 &&
	od -A d -t x1 p.pal | grep "^[0-9]\{7\} [0-9a-f]" >p.od &&
	test_cmp page.od p.od
'

test_expect_success 'python reads what pal-cat wrote from CSV, values exact' '
	"$PY" gen.py 300 1 &&
	pal-cat --from csv $TYPES in.csv >in.pal &&
	"$PY" same.py in.pal >out &&
	test_grep "^same 300$" out
'

test_expect_success 'python dump matches pal-cat --to csv byte for byte' '
	pal-cat --to csv in.pal >cat.csv &&
	"$PY" "$PS" dump in.pal >py.csv &&
	test_cmp cat.csv py.csv &&
	"$PY" "$PS" dump - <in.pal >py2.csv &&
	test_cmp cat.csv py2.csv &&
	test $(wc -l <py.csv) -eq 301 &&
	grep -q "^0,0,.*,1.4013e-45,.*,-2147483648,-9223372036854775808,0$" py.csv &&
	grep -q ",-inf," py.csv && grep -q ",4.94065645841247e-324," py.csv
'

test_expect_success 'python reads pal-cat --compress; zlib level 6 output is identical' '
	"$PY" gen.py 30000 2 &&
	pal-cat --from csv $TYPES in.csv >big.pal &&
	pal-cat --compress big.pal >bigz.pal &&
	pal-cat --compress=6 big.pal >bigz6.pal &&
	test_cmp bigz.pal bigz6.pal &&
	"$PY" same.py bigz.pal big.pal &&
	"$PY" -c "
import sys, pal_stream
fr = list(pal_stream.read(\"bigz.pal\"))
assert len(fr) > 1 and all(f.compressed for f in fr), fr
cols, meta = pal_stream.read_all(\"big.pal\")
pal_stream.write(\"pyz.pal\", cols, compress=6)
pal_stream.write(\"py.pal\", cols)
" &&
	test_cmp bigz.pal pyz.pal &&
	test_cmp big.pal py.pal
'

test_expect_success 'python reads pal-cat --rows frames; default frames match pal-cat' '
	pal-cat --rows 7 big.pal >rows.pal &&
	"$PY" same.py rows.pal &&
	"$PY" -c "
import pal_stream
n = [f.nrows for f in pal_stream.read(\"rows.pal\")]
assert n == [7] * (30000 // 7) + [30000 % 7], n[-3:]
# 1 MiB of payload: id 8 + f 8 + x 24 + g 4 + b 1 + c 4 + d 8 + e 8 bytes.
n = [f.nrows for f in pal_stream.read(\"big.pal\")]
per = 1048576 // 65
assert n == [per] * (30000 // per) + [30000 % per], n
"
'

test_expect_success 'python reads concatenated streams (cat a.pal b.pal)' '
	"$PY" gen.py 40 3 &&
	pal-cat --from csv $TYPES in.csv >a.pal &&
	pal-cat --rows 3 --compress=1 a.pal >b.pal &&
	cat a.pal b.pal a.pal >ab.pal &&
	pal-cat --verify ab.pal &&
	"$PY" "$PS" verify ab.pal &&
	pal-cat --to csv ab.pal >cat.csv &&
	"$PY" "$PS" dump ab.pal >py.csv &&
	test_cmp cat.csv py.csv &&
	test $(wc -l <py.csv) -eq 121 &&
	"$PY" -c "
import numpy as np, pal_stream
a, _ = pal_stream.read_all(\"a.pal\")
ab, _ = pal_stream.read_all(\"ab.pal\")
for k in a:
    assert ab[k].tobytes() == np.concatenate([a[k]] * 3).tobytes(), k
"
'

test_expect_success 'python reads a stream without data frames (pal-cat --head 0)' '
	pal-cat --head 0 a.pal >zero.pal &&
	pal-cat --verify zero.pal &&
	"$PY" -c "
import pal_stream
assert list(pal_stream.read(\"zero.pal\")) == []
assert pal_stream.read_all(\"zero.pal\") == ({}, [])
" &&
	pal-cat --to csv zero.pal >cat.csv &&
	"$PY" "$PS" dump zero.pal >py.csv &&
	test_cmp cat.csv py.csv &&
	test ! -s py.csv
'

test_expect_success 'pal-cat reads python streams: every dtype, widths, frames, zero rows' '
	"$PY" pywrite.py w.pal 0 &&
	pal-cat --verify w.pal &&
	pal-cat --to csv w.pal >cat.csv &&
	test_cmp expect.csv cat.csv &&
	pal-cat --info w.pal >info &&
	test_grep "^frames   6 data, 2 metadata (0 compressed)$" info &&
	test_grep "^rows     23$" info &&
	test_grep "^i  *i32  *3 " info && test_grep "^u  *u8  *1 " info &&
	test_grep "^j  *i64  *1 " info && test_grep "^k  *u64  *2 " info &&
	test_grep "^g  *f32  *1 " info && test_grep "^x  *f64  *4 " info &&
	"$PY" "$PS" dump w.pal >py.csv &&
	test_cmp expect.csv py.csv
'

test_expect_success 'pal-cat reads compressed python streams' '
	"$PY" pywrite.py wz.pal 9 &&
	pal-cat --verify wz.pal &&
	pal-cat --to csv wz.pal >cat.csv &&
	test_cmp expect.csv cat.csv &&
	pal-cat --info wz.pal >info &&
	test_grep "^frames   6 data, 2 metadata ([1-9][0-9]* compressed)$" info &&
	test $(wc -c <wz.pal) -lt $(wc -c <w.pal) &&
	pal-cat --decompress wz.pal >wd.pal &&
	test_cmp w.pal wd.pal
'

test_expect_success 'pal-cat --info shows the metadata python wrote' '
	pal-cat --info w.pal | grep "^meta " >meta &&
	test_cmp expect.meta meta &&
	pal-cat --info wz.pal | grep "^meta " >metaz &&
	test_cmp expect.meta metaz &&
	"$PY" -c "
import pal_stream
_, m = pal_stream.read_all(\"wz.pal\")
assert m[-1] == (\"done\", \"yes\") and m[2] == (\"empty\", \"\"), m
"
'

test_expect_success 'python writer refuses bad columns, dtypes and metadata' '
	"$PY" -c "
import io, numpy as np, pal_stream
w = pal_stream.Writer(io.BytesIO())
def refuses(exc, f, *a):
    try:
        f(*a)
    except exc as e:
        print(type(e).__name__, e)
        return
    raise SystemExit(\"accepted %r\" % (a,))
refuses(TypeError, w.write_columns, {\"a\": np.zeros(3, \"i2\")})
refuses(TypeError, w.write_columns, {\"a\": np.zeros(3, bool)})
refuses(TypeError, w.write_columns, {\"a\": np.zeros(3, \"f2\")})
refuses(ValueError, w.write_columns, {\"1a\": np.zeros(3)})
refuses(ValueError, w.write_columns, {\"a b\": np.zeros(3)})
refuses(ValueError, w.write_columns, {\"a\" * 64: np.zeros(3)})
refuses(ValueError, w.write_columns, {})
refuses(ValueError, w.write_columns, {\"a\": np.zeros(3), \"b\": np.zeros(4)})
refuses(ValueError, w.write_columns, {\"a\": np.zeros((3, 0))})
refuses(ValueError, w.write_columns, {\"a\": np.zeros((3, 2, 2))})
refuses(ValueError, w.write_meta, {\"a b\": \"1\"})
refuses(ValueError, w.write_meta, {\"\": \"1\"})
refuses(ValueError, w.write_meta, {\"a\": \"1\n2\"})
refuses(ValueError, pal_stream.Writer, io.BytesIO(), 10)
" >out &&
	test $(wc -l <out) -eq 14
'

test_expect_success 'a python writer that dies leaves a stream cut short for both' '
	"$PY" -c "
import numpy as np, pal_stream
try:
    with pal_stream.Writer(\"died.pal\") as w:
        w.write_columns({\"a\": np.arange(5.0)})
        raise RuntimeError(\"oracle crashed\")
except RuntimeError:
    pass
" &&
	test $(wc -c <died.pal) -eq 112 &&
	must_fail 1 pal-cat --verify died.pal 2>err &&
	test_grep "cut short" err &&
	"$PY" err.py died.pal "cut short" 112
'

test_expect_success 'truncated input: python names the offset, pal-cat agrees' '
	pal-cat --rows 10 a.pal >t.pal &&
	len=$(wc -c <t.pal) &&
	f2=$("$PY" -c "
import pal_stream
print([f.offset for f in pal_stream.read(\"t.pal\")][1])") &&
	for cut in 20 60 $((f2 + 50)) $((f2 + 300)) $((len - 20)); do
		head -c $cut t.pal >cut.pal &&
		must_fail 1 pal-cat --verify cut.pal 2>err &&
		test_grep "truncated" err &&
		must_fail 1 "$PY" "$PS" verify cut.pal 2>err &&
		test_grep "truncated" err || return 1
	done &&
	head -c 20 t.pal >cut.pal && "$PY" err.py cut.pal truncated 0 &&
	head -c $((f2 + 300)) t.pal >cut.pal &&
	"$PY" err.py cut.pal truncated $f2 &&
	"$PY" err.py cut.pal "input ends at offset $((f2 + 300))" $f2
'

test_expect_success 'a flipped byte: python names the frame offset, pal-cat agrees' '
	f2=$("$PY" -c "
import pal_stream
print([f.offset for f in pal_stream.read(\"t.pal\")][1])") &&
	for at in 3 17 50 200 $((f2 + 30)) $((f2 + 300)); do
		"$PY" -c "
import sys
d = bytearray(open(\"t.pal\", \"rb\").read())
d[$at] ^= 0x10
open(\"flip.pal\", \"wb\").write(d)" &&
		must_fail 1 pal-cat --verify flip.pal 2>err &&
		must_fail 1 "$PY" "$PS" verify flip.pal 2>err || return 1
	done &&
	"$PY" err.py flip.pal "payload crc mismatch" $f2 &&
	must_fail 1 pal-cat --verify flip.pal 2>err &&
	test_grep "checksum mismatch.*offset $f2" err &&
	"$PY" -c "
d = bytearray(open(\"t.pal\", \"rb\").read())
d[$f2 + 20] ^= 0x01
open(\"flip.pal\", \"wb\").write(d)" &&
	"$PY" err.py flip.pal "header crc mismatch" $f2
'

test_expect_success 'no end frame, empty input: both refuse, python tells which' '
	len=$(wc -c <t.pal) &&
	head -c $((len - 48)) t.pal >noend.pal &&
	must_fail 1 pal-cat --verify noend.pal 2>err &&
	test_grep "cut short" err &&
	"$PY" err.py noend.pal "cut short" $((len - 48)) &&
	: >empty.pal &&
	must_fail 1 pal-cat --verify empty.pal 2>err &&
	test_grep "empty input" err &&
	"$PY" err.py empty.pal "empty input" 0 &&
	must_fail 1 "$PY" "$PS" verify - <empty.pal 2>err &&
	test_grep "empty input, not a pal stream" err
'

test_expect_success 'a header declaring 2^60 rows is refused by both' '
	"$PY" -c "
import struct, zlib
# A data frame of one f64 column named a, nrows 2^60, built from the page.
desc = struct.pack(\"<BBHIQ\", 6, 1, 0, 1, 0) + b\"a\" + bytes(7)
h = struct.pack(\"<4sBBBBIIQQQI\", b\"\\x89PAL\", 1, 0x44, 0, 0, 72, 1,
                1 << 60, 1 << 30, 1 << 30, 0) + desc
h += struct.pack(\"<I\", zlib.crc32(h))
open(\"huge.pal\", \"wb\").write(h)
" &&
	must_fail 1 pal-cat --verify huge.pal 2>err &&
	test_grep "1152921504606846976" err &&
	"$PY" err.py huge.pal "nrows 1152921504606846976 too large" 0
'

test_expect_success 'checks come in the order of the page' '
	"$PY" -c "
d = bytearray(open(\"t.pal\", \"rb\").read())
d[0] = 0x88                     # bad magic and, so, a bad header crc
d[8] = 0x61                     # header_len not a multiple of 8
open(\"o1.pal\", \"wb\").write(d)
d = bytearray(open(\"t.pal\", \"rb\").read())
d[8] = 0x61
open(\"o2.pal\", \"wb\").write(d)
d = bytearray(open(\"t.pal\", \"rb\").read())
d[44] = 9                       # bad dtype, under a header crc mismatch
open(\"o3.pal\", \"wb\").write(d)
" &&
	"$PY" err.py o1.pal "bad magic" 0 &&
	"$PY" err.py o2.pal "not a multiple of 8" 0 &&
	"$PY" err.py o3.pal "header crc mismatch" 0 &&
	must_fail 1 pal-cat --verify o1.pal 2>err && test_grep "magic" err &&
	must_fail 1 pal-cat --verify o3.pal 2>err && test_grep "checksum" err
'

test_expect_success 'two schemas: read_all and dump refuse them, as pal-cat --to does' '
	"$PY" -c "
import numpy as np, pal_stream
with pal_stream.Writer(\"two.pal\") as w:
    w.write_columns({\"a\": np.arange(2.0)})
    w.write_columns({\"a\": np.arange(2, dtype=np.int32)})
" &&
	pal-cat --verify two.pal &&
	"$PY" err.py two.pal "schema" 88 &&
	must_fail 1 pal-cat --to csv two.pal >cat.csv 2>err &&
	must_fail 1 "$PY" "$PS" dump two.pal >py.csv 2>err &&
	test_grep "offset 88" err &&
	test_cmp cat.csv py.csv
'

test_expect_success 'the command line: verify exit codes, usage errors exit 2
the python reader refuses every golden corrupt stream that pal-cat refuses' '
	"$PY" "$PS" verify a.pal &&
	must_fail 1 "$PY" "$PS" verify noend.pal 2>err &&
	test_grep "^pal_stream.py: stream cut short at offset [0-9]*: .*(noend.pal)$" err &&
	must_fail 1 "$PY" "$PS" verify no-such.pal 2>err &&
	test_grep "no-such.pal" err &&
	must_fail 2 "$PY" "$PS" frobnicate a.pal 2>err &&
	test_grep "^usage: pal_stream.py" err &&
	must_fail 2 "$PY" "$PS" 2>err &&
	"$PY" "$PS" --help >out &&
	test_grep "^usage: pal_stream.py" out &&
	"$PY" -c "import pal_stream; help(pal_stream)" >doc &&
	test_grep "read_all(src)" doc
'

test_expect_success 'the python reader refuses every golden corrupt stream that pal-cat refuses' '
	n=0
	for f in "$TESTS"/corrupt/*.pal; do
		pal-cat --verify "$f" 2>/dev/null && continue
		n=$((n + 1))
		must_fail 1 "$PY" "$TOP/share/pal_stream.py" verify "$f" 2>err ||
			{ echo "python accepts $f"; exit 1; }
		test -s err || { echo "python silent on $f"; exit 1; }
	done
	test "$n" -gt 50
'

test_done
