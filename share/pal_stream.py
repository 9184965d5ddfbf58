#!/usr/bin/python3
"""pal_stream: read and write pal streams from Python with numpy.

This is an independent reader and writer of the pal stream, written from
the format page pal-stream(5) alone, with nothing but the standard library
and numpy.  It checks everything the page says a reader checks, in the
page's order, and writes what the page says a writer writes.

Reading
-------
read(src)
    A generator over the frames of a stream.  src is a path or a binary
    file object (opened 'rb'; sys.stdin.buffer for standard input).  It
    yields Frame objects:

    frame.kind      'data' or 'meta'
    frame.offset    byte offset of the frame in the input
    frame.nrows     rows of a data frame, entries of a metadata frame
    frame.columns   (data) dict name -> numpy array, in column order:
                    shape (nrows,) for width 1, (nrows, width) otherwise,
                    with little-endian dtypes u1, <i4, <i8, <u8, <f4, <f8
    frame.schema    (data) list of (name, dtype name, width), e.g.
                    [('id', 'u64', 1), ('x', 'f64', 2)]
    frame.meta      (meta) list of (key, value) str pairs, in order
    frame.compressed  whether the payload was stored with zlib

    End frames are checked (their row count against the rows of their
    segment) and not yielded.  The arrays of a data frame are views on the
    frame's payload and may be read-only: copy one to modify it.  Bad input
    raises PalStreamError, whose .offset is the byte offset of the frame at
    fault (or where the input ended) and whose message names it; input
    that ends inside a frame is "truncated", input that ends between frames
    but not after an end frame is "cut short", and empty input is not a
    stream.  Memory is bounded by one frame.

read_all(src)
    Returns (columns, meta): every data frame's columns concatenated (all
    data frames must share one schema, else PalStreamError), and the pairs
    of every metadata frame, in order.  A stream without data frames gives
    an empty dict.

Writing
-------
Writer(dst, compress=None, rows_per_frame=None)
    dst is a path (created or truncated) or a binary file object.
    compress is None (store as is) or a zlib level 1 to 9; a payload that
    does not get smaller is stored as is, as the page asks.
    rows_per_frame splits write_columns() into frames of that many rows;
    by default a frame holds about 1 MiB of payload (at least one row).

    w.write_columns(columns)
        columns: a dict (or a list of pairs) name -> array-like; 1-D arrays
        make width-1 columns, 2-D arrays columns of width shape[1].  All
        must have the same number of rows (shape[0]); a zero-row call
        writes one frame that carries the schema alone.  dtypes: uint8,
        int32, int64, uint64, float32, float64 (either byte order); any
        other dtype raises TypeError.  Bad names or shapes raise ValueError.
    w.write_meta(meta)
        meta: a dict or a list of (key, value) pairs of str; one metadata
        frame.  Keys: 1 to 255 bytes of letters, digits, '_', '.', '-',
        ':'.  Values: no newline, no NUL.
    w.close()
        Writes the end frame (its row count is the rows written) and closes
        dst if it was a path.  As a context manager, the end frame is
        written only if the with-block did not raise: a producer that died
        leaves a stream that readers see as cut short.

write(dst, columns, compress=None, meta=None, rows_per_frame=None)
    One call: the metadata frame (if any), the data, the end frame.

Example
-------
    import numpy as np
    import pal_stream

    x = np.random.default_rng(1).random((1000, 3))
    with pal_stream.Writer('x.pal', compress=6) as w:
        w.write_meta({'units': 'bohr'})
        w.write_columns({'id': np.arange(1000, dtype=np.uint64), 'x': x})

    cols, meta = pal_stream.read_all('x.pal')
    assert (cols['x'] == x).all() and meta == [('units', 'bohr')]
    for frame in pal_stream.read('x.pal'):
        if frame.kind == 'data':
            print(frame.nrows, frame.columns['x'].mean(axis=0))

Command line
------------
    /usr/bin/python3 share/pal_stream.py dump FILE
        prints the rows as CSV, as `pal-cat --to csv` does: a header line
        (a width-1 column is `name`, a width-k column `name.0` to
        `name.k-1`), then one line per row; integers plainly, floats in the
        shortest of %.15g, %.16g, %.17g (f32: %.6g to %.9g) that reads back
        to the same value, nan, inf, -inf.
    /usr/bin/python3 share/pal_stream.py verify FILE
        reads the whole stream; exit 0 if valid, else 1 with the reason.
    FILE may be - for standard input.  Exit status: 0 ok, 1 bad data,
    2 bad usage.
"""

import os
import re
import signal
import stat
import struct
import sys
import zlib
from fractions import Fraction

import numpy as np

__all__ = ['PalStreamError', 'Frame', 'read', 'read_all', 'Writer', 'write',
           'DTYPES']

# Constants of pal-stream(5).
MAGIC = b'\x89PAL'
VERSION = 1
KIND_DATA, KIND_META, KIND_END = 0x44, 0x4d, 0x45
CODEC_NONE, CODEC_ZLIB = 0, 1
FIXED_LEN = 44                  # fixed header
DESC_LEN = 16                   # column descriptor before its name
MIN_HEADER_LEN = 48
MAX_HEADER_LEN = 1 << 20
MAX_NCOLS = 1024
MAX_WIDTH = 1 << 24
MAX_NAMELEN = 63
MAX_RAW_LEN = 1 << 30
MAX_META_LEN = 1 << 24
MAX_KEYLEN = 255
FRAME_BYTES = 1 << 20           # payload of a data frame written by default

# code -> (name, little-endian numpy dtype); the element size is itemsize.
DTYPES = {
    1: ('u8', np.dtype('u1')),
    2: ('i32', np.dtype('<i4')),
    3: ('i64', np.dtype('<i8')),
    4: ('u64', np.dtype('<u8')),
    5: ('f32', np.dtype('<f4')),
    6: ('f64', np.dtype('<f8')),
}
_CODE_OF = {dt: code for code, (_, dt) in DTYPES.items()}

_FIXED = struct.Struct('<4sBBBBIIQQQI')
_DESC = struct.Struct('<BBHIQ')
_NAME_RE = re.compile(rb'[A-Za-z_][A-Za-z0-9_]*\Z')
_KEY_RE = re.compile(rb'[A-Za-z0-9_.:-]+\Z')
_CHUNK = 1 << 20                # read size: memory follows arriving bytes


def _pad8(n):
    return (n + 7) & ~7


def _compress_bound(n):
    """zlib's compressBound(): the most that n bytes deflate to."""
    return n + (n >> 12) + (n >> 14) + (n >> 25) + 13


class PalStreamError(Exception):
    """Bad pal stream input.  .offset is the byte offset it names."""

    def __init__(self, message, offset):
        super().__init__(message)
        self.offset = offset


class Frame:
    """One data or metadata frame (see the module docstring)."""

    __slots__ = ('kind', 'offset', 'nrows', 'columns', 'schema', 'meta',
                 'compressed')

    def __init__(self, kind, offset, nrows, compressed):
        self.kind = kind
        self.offset = offset
        self.nrows = nrows
        self.compressed = compressed
        self.columns = None
        self.schema = None
        self.meta = None

    def __repr__(self):
        if self.kind == 'data':
            what = ', '.join('%s:%s*%d' % s for s in self.schema)
        else:
            what = '%d entries' % self.nrows
        return '<Frame %s at %d: %d rows, %s>' % (self.kind, self.offset,
                                                   self.nrows, what)


# --------------------------------------------------------------------
# Reading

class _Input:
    """A binary input that counts the bytes it has handed out."""

    def __init__(self, f):
        self.f = f
        self.pos = 0

    def read(self, n):
        """Up to n bytes, fewer only at the end of the input.

        Reads in chunks, so that a header announcing a huge payload costs
        only the memory of the bytes that really arrive.
        """
        buf = bytearray()
        while len(buf) < n:
            chunk = self.f.read(min(n - len(buf), _CHUNK))
            if not chunk:
                break
            buf += chunk
        self.pos += len(buf)
        return buf


def _fail(at, what, detail=''):
    msg = 'frame at offset %d: %s' % (at, what)
    if detail:
        msg += ' (%s)' % detail
    raise PalStreamError(msg, at)


def _read_frames(f):
    inp = _Input(f)
    seg_rows = 0
    last_end = False            # the last frame was an end frame
    nframes = 0
    while True:
        at = inp.pos
        fixed = inp.read(FIXED_LEN)
        if not fixed:
            if nframes == 0:
                raise PalStreamError('empty input, not a pal stream '
                                     '(offset 0)', 0)
            if not last_end:
                raise PalStreamError(
                    'stream cut short at offset %d: the input ends after '
                    'frame %d, not after an end frame' % (at, nframes - 1),
                    at)
            return
        if len(fixed) < FIXED_LEN:
            _fail(at, 'truncated in the fixed header',
                  'got %d of %d bytes, input ends at offset %d'
                  % (len(fixed), FIXED_LEN, inp.pos))
        (magic, version, kind, codec, reserved, header_len, ncols, nrows,
         raw_len, stored_len, payload_crc) = _FIXED.unpack(fixed)

        # 1. Magic, version, kind, codec, reserved byte 7.
        if magic != MAGIC:
            _fail(at, 'bad magic %s' % magic.hex(), 'expected 8950414c')
        if version != VERSION:
            _fail(at, 'unsupported version %d' % version, 'expected 1')
        if kind not in (KIND_DATA, KIND_META, KIND_END):
            _fail(at, 'bad frame kind 0x%02x' % kind)
        if codec not in (CODEC_NONE, CODEC_ZLIB):
            _fail(at, 'bad codec %d' % codec)
        if reserved != 0:
            _fail(at, 'reserved byte 7 is %d, not 0' % reserved)

        # 2. header_len.
        if header_len % 8 != 0:
            _fail(at, 'header_len %d is not a multiple of 8' % header_len)
        if not MIN_HEADER_LEN <= header_len <= MAX_HEADER_LEN:
            _fail(at, 'header_len %d out of range' % header_len,
                  'limits %d to %d' % (MIN_HEADER_LEN, MAX_HEADER_LEN))

        # 3. The header crc.
        rest = inp.read(header_len - FIXED_LEN)
        if len(rest) < header_len - FIXED_LEN:
            _fail(at, 'truncated in the header',
                  'got %d of %d bytes, input ends at offset %d'
                  % (FIXED_LEN + len(rest), header_len, inp.pos))
        header = bytes(fixed) + bytes(rest)
        (want,) = struct.unpack_from('<I', header, header_len - 4)
        got = zlib.crc32(header[:header_len - 4])
        if got != want:
            _fail(at, 'header crc mismatch',
                  'stored 0x%08x, computed 0x%08x' % (want, got))

        # 4. ncols and nrows.  A data row takes at least one byte in each
        # column, so no data frame within the raw_len limit has more rows
        # than that; a metadata entry takes at least 3 bytes ("k=\n").
        if kind == KIND_DATA:
            if not 1 <= ncols <= MAX_NCOLS:
                _fail(at, 'ncols %d out of range' % ncols,
                      'limits 1 to %d' % MAX_NCOLS)
            if nrows > MAX_RAW_LEN:
                _fail(at, 'nrows %d too large' % nrows,
                      'raw_len is at most %d' % MAX_RAW_LEN)
        else:
            what = 'metadata' if kind == KIND_META else 'end'
            if ncols != 0:
                _fail(at, 'ncols %d in a %s frame' % (ncols, what),
                      'expected 0')
            if header_len != MIN_HEADER_LEN:
                _fail(at, 'header_len %d in a %s frame'
                      % (header_len, what), 'expected 48')
            if kind == KIND_META and nrows > MAX_META_LEN // 3:
                _fail(at, 'nrows %d too large for a metadata frame' % nrows,
                      'its raw_len is at most %d' % MAX_META_LEN)

        # 5. Each descriptor, then the header padding.
        end_of_table = header_len - 4
        pos = FIXED_LEN
        off = 0                 # where the next column must start
        schema = []
        names = set()
        for i in range(ncols):
            if pos + DESC_LEN > end_of_table:
                _fail(at, 'column %d: descriptor overruns the header' % i,
                      'header_len %d' % header_len)
            code, namelen, res, width, coff = _DESC.unpack_from(header, pos)
            if code not in DTYPES:
                _fail(at, 'column %d: bad dtype code %d' % (i, code))
            if res != 0:
                _fail(at, 'column %d: reserved bytes are not 0' % i)
            if not 1 <= width <= MAX_WIDTH:
                _fail(at, 'column %d: width %d out of range' % (i, width),
                      'limits 1 to %d' % MAX_WIDTH)
            if not 1 <= namelen <= MAX_NAMELEN:
                _fail(at, 'column %d: namelen %d out of range'
                      % (i, namelen), 'limits 1 to %d' % MAX_NAMELEN)
            desc_end = pos + _pad8(DESC_LEN + namelen)
            if desc_end > end_of_table:
                _fail(at, 'column %d: descriptor overruns the header' % i,
                      'header_len %d' % header_len)
            name = header[pos + DESC_LEN:pos + DESC_LEN + namelen]
            if not _NAME_RE.match(name):
                _fail(at, 'column %d: bad name %r' % (i, name.decode(
                    'ascii', 'backslashreplace')))
            if any(header[pos + DESC_LEN + namelen:desc_end]):
                _fail(at, 'column %d: name padding is not zero' % i)
            name = name.decode('ascii')
            if name in names:
                _fail(at, 'column %d: duplicate name "%s"' % (i, name))
            names.add(name)
            if coff != off:
                _fail(at, 'column "%s": offset %d, expected %d'
                      % (name, coff, off))
            dtname, dt = DTYPES[code]
            per_row = width * dt.itemsize
            if nrows > (MAX_RAW_LEN - off) // per_row:
                _fail(at, 'nrows %d too large' % nrows,
                      'column "%s" would pass the raw_len limit %d'
                      % (name, MAX_RAW_LEN))
            schema.append((name, dtname, width, dt, off))
            off += _pad8(nrows * per_row)
            pos = desc_end
        if any(header[pos:end_of_table]):
            _fail(at, 'header padding is not zero')

        # 6. raw_len, then stored_len.
        if kind == KIND_DATA:
            if raw_len != off:
                _fail(at, 'raw_len %d does not match the columns' % raw_len,
                      'expected %d' % off)
        elif kind == KIND_META:
            if raw_len > MAX_META_LEN:
                _fail(at, 'raw_len %d too large for a metadata frame'
                      % raw_len, 'limit %d' % MAX_META_LEN)
        else:
            if raw_len != 0:
                _fail(at, 'raw_len %d in an end frame' % raw_len,
                      'expected 0')
            if codec != CODEC_NONE:
                _fail(at, 'codec %d in an end frame' % codec, 'expected 0')
        if codec == CODEC_NONE:
            if stored_len != raw_len:
                _fail(at, 'stored_len %d differs from raw_len %d'
                      % (stored_len, raw_len), 'codec 0')
        else:
            if raw_len == 0:
                _fail(at, 'compressed frame with raw_len 0')
            bound = _compress_bound(raw_len)
            if not 1 <= stored_len <= bound:
                _fail(at, 'stored_len %d out of range for a compressed '
                      'payload' % stored_len,
                      '1 to %d for raw_len %d' % (bound, raw_len))

        # 7. The payload crc, then its padding.
        padded = _pad8(stored_len)
        payload = inp.read(padded)
        if len(payload) < padded:
            _fail(at, 'truncated in the payload',
                  'got %d of %d bytes, input ends at offset %d'
                  % (len(payload), padded, inp.pos))
        got = zlib.crc32(payload)
        if got != payload_crc:
            _fail(at, 'payload crc mismatch',
                  'stored 0x%08x, computed 0x%08x' % (payload_crc, got))
        if any(payload[stored_len:]):
            _fail(at, 'payload padding is not zero')
        del payload[stored_len:]

        # 8. Inflating to exactly raw_len bytes.
        if codec == CODEC_ZLIB:
            payload = _inflate(at, payload, raw_len)

        # 9. The zero padding after each column.
        if kind == KIND_DATA:
            for name, _, width, dt, coff in schema:
                end = coff + nrows * width * np.dtype(dt).itemsize
                if any(payload[end:_pad8(end)]):
                    _fail(at, "column '%s': padding is not zero" % name)

        nframes += 1
        last_end = kind == KIND_END
        if kind == KIND_END:
            # 11. The row count of the segment.
            if nrows != seg_rows:
                _fail(at, 'end frame counts %d rows, its segment has %d'
                      % (nrows, seg_rows))
            seg_rows = 0
            continue
        frame = Frame('data' if kind == KIND_DATA else 'meta', at, nrows,
                      codec == CODEC_ZLIB)
        if kind == KIND_META:
            # 10. Metadata entries: count and syntax.
            frame.meta = _parse_meta(at, payload, nrows)
        else:
            frame.schema = [s[:3] for s in schema]
            frame.columns = {}
            for name, _, width, dt, coff in schema:
                a = np.frombuffer(payload, dtype=dt, count=nrows * width,
                                  offset=coff)
                frame.columns[name] = a.reshape(nrows, width) \
                    if width > 1 else a
            seg_rows += nrows
        yield frame


def _inflate(at, data, raw_len):
    d = zlib.decompressobj()
    try:
        # max_length bounds the output by raw_len, whatever the data says;
        # then the rest of the input may hold the stream's end, no output.
        out = d.decompress(data, raw_len)
        while not d.eof and d.unconsumed_tail:
            tail = d.unconsumed_tail
            if d.decompress(tail, 1):
                _fail(at, 'payload inflates to more than raw_len %d bytes'
                      % raw_len)
            if d.unconsumed_tail == tail:
                break
    except zlib.error as e:
        _fail(at, 'bad zlib data', str(e))
    if not d.eof:
        _fail(at, 'zlib stream ends early',
              'inflated %d of raw_len %d bytes' % (len(out), raw_len))
    if len(out) != raw_len:
        _fail(at, 'payload inflates to %d bytes' % len(out),
              'raw_len %d' % raw_len)
    if d.unused_data:
        _fail(at, '%d bytes after the end of the zlib stream'
              % len(d.unused_data))
    return out


def _parse_meta(at, payload, nrows):
    payload = bytes(payload)
    if payload and not payload.endswith(b'\n'):
        _fail(at, 'metadata does not end with a newline')
    lines = payload.split(b'\n')[:-1] if payload else []
    if len(lines) != nrows:
        _fail(at, 'metadata holds %d entries, nrows says %d'
              % (len(lines), nrows))
    meta = []
    for i, line in enumerate(lines):
        key, eq, value = line.partition(b'=')
        if not eq:
            _fail(at, 'metadata entry %d has no "="' % i)
        if not 1 <= len(key) <= MAX_KEYLEN or not _KEY_RE.match(key):
            _fail(at, 'metadata entry %d: bad key %r' % (i, key.decode(
                'ascii', 'backslashreplace')))
        if b'\0' in value:
            _fail(at, 'metadata entry %d: NUL in the value' % i)
        meta.append((key.decode('ascii'),
                     value.decode('utf-8', 'surrogateescape')))
    return meta


def read(src):
    """Generator over the data and metadata frames of the stream src.

    src: a path or a binary file object.  Raises PalStreamError on bad
    input, at the first failure, after yielding the good frames before it.
    """
    if isinstance(src, (str, bytes, os.PathLike)):
        with open(src, 'rb') as f:
            yield from _read_frames(f)
    else:
        yield from _read_frames(src)


def read_all(src):
    """(columns, meta): the data frames concatenated, the metadata pairs."""
    schema = None
    parts = None
    meta = []
    for frame in read(src):
        if frame.kind == 'meta':
            meta.extend(frame.meta)
            continue
        if schema is None:
            schema = frame.schema
            parts = {name: [] for name, _, _ in schema}
        elif frame.schema != schema:
            raise PalStreamError(
                'frame at offset %d: schema %s differs from the first '
                'data frame\'s %s' % (frame.offset, frame.schema, schema),
                frame.offset)
        for name, a in frame.columns.items():
            parts[name].append(a)
    if schema is None:
        return {}, meta
    return {name: np.concatenate(p) for name, p in parts.items()}, meta


# --------------------------------------------------------------------
# Writing

def _header(kind, codec, header_len, ncols, nrows, raw_len, stored_len,
            payload_crc, table=b''):
    h = _FIXED.pack(MAGIC, VERSION, kind, codec, 0, header_len, ncols,
                    nrows, raw_len, stored_len, payload_crc) + table
    h += bytes(header_len - 4 - len(h))
    return h + struct.pack('<I', zlib.crc32(h))


class Writer:
    """A pal stream writer (see the module docstring)."""

    def __init__(self, dst, compress=None, rows_per_frame=None):
        if compress is not None and (isinstance(compress, bool) or
                                     compress not in range(1, 10)):
            raise ValueError('compress must be None or a level 1 to 9, '
                             'not %r' % (compress,))
        if rows_per_frame is not None and (
                isinstance(rows_per_frame, bool) or
                not isinstance(rows_per_frame, int) or rows_per_frame < 1):
            raise ValueError('rows_per_frame must be a positive int, not %r'
                             % (rows_per_frame,))
        self.compress = compress
        self.rows_per_frame = rows_per_frame
        if isinstance(dst, (str, bytes, os.PathLike)):
            self._f = open(dst, 'wb')
            self._own = True
        else:
            self._f = dst
            self._own = False
        self._flush = False
        try:
            mode = os.fstat(self._f.fileno()).st_mode
            self._flush = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
        except (AttributeError, OSError, ValueError):
            pass
        self._rows = 0
        self._closed = False

    def _frame(self, kind, ncols, nrows, payload, table=b''):
        if self._closed:
            raise ValueError('write to a closed pal stream writer')
        raw_len = len(payload)
        codec, stored = CODEC_NONE, payload
        if self.compress is not None and raw_len > 0:
            z = zlib.compress(payload, self.compress)
            if len(z) < raw_len:
                codec, stored = CODEC_ZLIB, z
        stored_len = len(stored)
        stored = bytes(stored) + bytes(_pad8(stored_len) - stored_len)
        header_len = _pad8(FIXED_LEN + len(table) + 4)
        h = _header(kind, codec, header_len, ncols, nrows, raw_len,
                    stored_len, zlib.crc32(stored), table)
        self._f.write(h)
        self._f.write(stored)
        if self._flush:
            self._f.flush()

    def write_columns(self, columns):
        """Write columns (dict or pairs name -> array) as data frames."""
        items = list(columns.items()) if hasattr(columns, 'items') \
            else list(columns)
        if not 1 <= len(items) <= MAX_NCOLS:
            raise ValueError('%d columns, not 1 to %d'
                             % (len(items), MAX_NCOLS))
        cols = []
        names = set()
        nrows = None
        for name, a in items:
            if not isinstance(name, str) or not _NAME_RE.match(
                    name.encode('ascii', 'replace')) or \
                    not 1 <= len(name) <= MAX_NAMELEN:
                raise ValueError('bad column name %r: 1 to 63 letters, '
                                 'digits, underscores, not starting with '
                                 'a digit' % (name,))
            if name in names:
                raise ValueError('duplicate column name %r' % name)
            names.add(name)
            a = np.asarray(a)
            code = _CODE_OF.get(a.dtype.newbyteorder('<')
                                if a.dtype.byteorder == '>' else a.dtype)
            if code is None:
                raise TypeError('column %r: dtype %s has no pal type (uint8, '
                                'int32, int64, uint64, float32, float64)'
                                % (name, a.dtype))
            if a.ndim not in (1, 2):
                raise ValueError('column %r: %d dimensions, not 1 or 2'
                                 % (name, a.ndim))
            width = 1 if a.ndim == 1 else a.shape[1]
            if not 1 <= width <= MAX_WIDTH:
                raise ValueError('column %r: width %d, not 1 to %d'
                                 % (name, width, MAX_WIDTH))
            if nrows is None:
                nrows = a.shape[0]
            elif a.shape[0] != nrows:
                raise ValueError('column %r has %d rows, the first has %d'
                                 % (name, a.shape[0], nrows))
            cols.append((name, code, width,
                         a.astype(DTYPES[code][1], copy=False)))
        row_bytes = sum(w * DTYPES[c][1].itemsize for _, c, w, _ in cols)
        step = self.rows_per_frame or max(1, FRAME_BYTES // row_bytes)
        n = min(step, nrows) or 1
        if sum(_pad8(n * w * DTYPES[c][1].itemsize)
               for _, c, w, _ in cols) > MAX_RAW_LEN:
            raise ValueError('a frame of %d rows would pass the raw_len '
                             'limit of %d bytes' % (n, MAX_RAW_LEN))
        start = 0
        while True:
            n = min(step, nrows - start)
            self._data_frame(cols, start, n)
            start += n
            if start >= nrows:
                break

    def _data_frame(self, cols, start, n):
        table = bytearray()
        payload = bytearray()
        for name, code, width, a in cols:
            nb = name.encode('ascii')
            table += _DESC.pack(code, len(nb), 0, width, len(payload)) + nb
            table += bytes(_pad8(len(table)) - len(table))
            payload += np.ascontiguousarray(a[start:start + n]).tobytes()
            payload += bytes(_pad8(len(payload)) - len(payload))
        self._frame(KIND_DATA, len(cols), n, bytes(payload), bytes(table))
        self._rows += n

    def write_meta(self, meta):
        """Write a metadata frame from a dict or a list of (key, value)."""
        items = list(meta.items()) if hasattr(meta, 'items') else list(meta)
        payload = bytearray()
        for key, value in items:
            k = key.encode('ascii', 'replace') if isinstance(key, str) \
                else None
            if k is None or not 1 <= len(k) <= MAX_KEYLEN or \
                    not _KEY_RE.match(k):
                raise ValueError('bad metadata key %r: 1 to 255 letters, '
                                 'digits, "_", ".", "-", ":"' % (key,))
            v = str(value).encode('utf-8', 'surrogateescape')
            if b'\n' in v or b'\0' in v:
                raise ValueError('metadata value of %r holds a newline or '
                                 'a NUL' % key)
            payload += k + b'=' + v + b'\n'
        if len(payload) > MAX_META_LEN:
            raise ValueError('metadata of %d bytes passes the limit of %d'
                             % (len(payload), MAX_META_LEN))
        self._frame(KIND_META, 0, len(items), bytes(payload))

    def close(self):
        """Write the end frame, flush, and close dst if it was a path."""
        if self._closed:
            return
        self._f.write(_header(KIND_END, CODEC_NONE, MIN_HEADER_LEN, 0,
                              self._rows, 0, 0, 0))
        self._closed = True
        self._f.flush()
        if self._own:
            self._f.close()

    def abandon(self):
        """Stop without an end frame, as a producer that died."""
        self._closed = True
        if self._own:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, etype, evalue, tb):
        if etype is None:
            self.close()
        else:
            self.abandon()
        return False


def write(dst, columns, compress=None, meta=None, rows_per_frame=None):
    """Write a whole stream: metadata (if given), columns, end frame."""
    with Writer(dst, compress=compress, rows_per_frame=rows_per_frame) as w:
        if meta is not None:
            w.write_meta(meta)
        w.write_columns(columns)


# --------------------------------------------------------------------
# Command line

def _f32_of(s):
    """The float32 nearest to the decimal string s (as C's strtof)."""
    d = float(s)
    with np.errstate(over='ignore'):
        f = np.float32(d)
        if np.isinf(d) or float(f) == d:
            return f
        # d, the double nearest to s, rounds to the float32 nearest to s
        # unless d lies exactly halfway between two float32s (2^128 stands
        # for the one past the largest): decide that case exactly.
        g = np.nextafter(f, np.float32(np.inf if f < d else -np.inf),
                         dtype=np.float32)
    ends = [Fraction(float(x)) if np.isfinite(x) else
            Fraction(2 ** 128 if x > 0 else -2 ** 128) for x in (f, g)]
    mid = (ends[0] + ends[1]) / 2
    if Fraction(d) != mid:
        return f
    exact = Fraction(s)
    if exact == mid:
        # A tie goes to the even significand (to infinity past the top).
        even = not np.isfinite(f) or int(f.view(np.uint32)) % 2 == 0
        return f if even else g
    return f if (exact < mid) == (ends[0] < mid) else g


def _fmt_float(v, f32):
    if v != v:
        return 'nan'            # whatever its sign, as pal-cat --to writes it
    if v in (np.inf, -np.inf):
        return 'inf' if v > 0 else '-inf'
    x = float(v)
    for p in (range(6, 10) if f32 else range(15, 18)):
        s = '%.*g' % (p, x)
        if (_f32_of(s) == v) if f32 else (float(s) == x):
            return s
    return s


def _formatter(dt):
    if dt.kind == 'f':
        f32 = dt.itemsize == 4
        return lambda col: [_fmt_float(v, f32) for v in col]
    return lambda col: [str(v) for v in col.tolist()]


def _dump(src, out):
    schema = None
    for frame in read(src):
        if frame.kind != 'data':
            continue
        if frame.schema != schema:
            if schema is not None:
                raise PalStreamError(
                    'frame at offset %d: the schema changes, CSV holds one'
                    % frame.offset, frame.offset)
            schema = frame.schema
            head = []
            for name, _, width in schema:
                head += [name] if width == 1 else \
                    ['%s.%d' % (name, j) for j in range(width)]
            out.write(','.join(head) + '\n')
        cells = []
        for a in frame.columns.values():
            fmt = _formatter(a.dtype)
            if a.ndim == 1:
                cells.append(fmt(a))
            else:
                cells += [fmt(a[:, j]) for j in range(a.shape[1])]
        for row in zip(*cells):
            out.write(','.join(row) + '\n')


def main(argv):
    prog = 'pal_stream.py'
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    usage = 'usage: %s dump|verify file' % prog
    if len(argv) == 2 and argv[1] in ('-h', '--help'):
        print(usage)
        return 0
    if len(argv) != 3 or argv[1] not in ('dump', 'verify'):
        print(usage, file=sys.stderr)
        return 2
    path = argv[2]
    src = sys.stdin.buffer if path == '-' else path
    where = 'stdin' if path == '-' else path
    try:
        if argv[1] == 'dump':
            _dump(src, sys.stdout)
            sys.stdout.flush()
        else:
            for _ in read(src):
                pass
    except PalStreamError as e:
        print('%s: %s (%s)' % (prog, e, where), file=sys.stderr)
        return 1
    except OSError as e:
        print('%s: %s' % (prog, e), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
