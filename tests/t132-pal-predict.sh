#!/bin/sh
# pal-predict: predictions against an independent computation (numpy reads
# the model through share/pal_stream.py and computes the committee's
# forward pass, or the GP's closed-form posterior, itself): tanh, relu and
# silu; f32 and f64; 1 and 5 members; several outputs.  --grad against
# finite differences of pal-predict's own mean; under mpirun -n 2 the same
# bytes as one rank, in input order; frames of 0 rows and metadata frames;
# a 1e6-row stream in bounded memory; every error path, with its message
# and exit status, and no output left.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
model() { pal-model-rt "$@"; }

if ! "$PY" -c 'import numpy' 2>/dev/null; then
	test_skip 'pal-predict against numpy' "no numpy for $PY"
	test_done
fi

cat >check.py <<\EOF
# check.py MODEL INPUT OUTPUT [members]: the output's mean, std (and
# members) against numpy's own prediction from the model's parameters
# (pal-cat --to csv prints 17 digits, so the CSV dumps compared bit for
# bit elsewhere are the values themselves).
import math, sys
sys.path.insert(0, sys.argv[5] if len(sys.argv) > 5 else '.')
import numpy as np
import pal_stream as ps

def load(path):
    keys, arrays, cur = {}, {}, None
    for f in ps.read(path):
        if f.kind == 'meta':
            keys.update(dict(f.meta))
            continue
        (name, a), = f.columns.items()
        arrays.setdefault(name, []).append(np.asarray(a, dtype=np.float64))
    return keys, {k: np.concatenate(v) for k, v in arrays.items()}

def nums(s):
    return np.array([float(v) for v in s.split(',')]) if s else np.zeros(0)

def mlp(keys, arr, x):
    M, d, k = int(keys['members']), int(keys['d']), int(keys['k'])
    hid = [int(v) for v in keys['layers'].split(',')] if keys['layers'] else []
    w = [d] + hid + [k]
    act = {'tanh': np.tanh, 'relu': lambda z: np.maximum(z, 0),
           'silu': lambda z: z / (1 + np.exp(-z))}[keys['activation']]
    theta = arr['theta'].reshape(M, -1)
    f32 = keys['array.theta'].startswith('f32')
    z = (x - nums(keys['x_mean'])) / nums(keys['x_std'])
    if f32:
        z = z.astype(np.float32).astype(np.float64)
    out = []
    for m in range(M):
        p, a = 0, z
        for l in range(1, len(w)):
            W = theta[m, p:p + w[l] * w[l - 1]].reshape(w[l], w[l - 1])
            p += w[l] * w[l - 1]
            b = theta[m, p:p + w[l]]
            p += w[l]
            a = a @ W.T + b
            if l < len(w) - 1:
                a = act(a)
        out.append(nums(keys['y_mean']) + nums(keys['y_std']) * a)
    f = np.array(out)                       # M, n, k
    mean = f.mean(axis=0)
    std = (float(keys['calibration']) * f.std(axis=0, ddof=1) if M > 1
           else np.zeros_like(mean))
    members = f.transpose(1, 0, 2).reshape(len(x), M * k)
    return mean, std, members, 1e-4 if f32 else 1e-10

def gp(keys, arr, x):
    d, n = int(keys['d']), int(keys['n'])
    th = nums(keys['theta'])
    ell, sf2, sn2 = np.exp(th[:d]), math.exp(th[d]), math.exp(th[d + 1])
    X = arr['x'].reshape(n, d) / ell
    Z = (x - nums(keys['x_mean'])) / nums(keys['x_std']) / ell
    def kern(A, B):
        r2 = ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
        if keys['kernel'] == 'rbf':
            return sf2 * np.exp(-r2 / 2)
        s = np.sqrt(5 * r2)
        return sf2 * (1 + s + s * s / 3) * np.exp(-s)
    K = kern(X, X) + (sn2 + float(keys['jitter'])) * np.eye(n)
    Ks = kern(Z, X)
    mu = Ks @ np.linalg.solve(K, arr['y'])
    var = sf2 - np.einsum('ij,ji->i', Ks, np.linalg.solve(K, Ks.T))
    ym, ys = float(keys['y_mean']), float(keys['y_std'])
    return ((ym + ys * mu)[:, None], (ys * np.sqrt(np.maximum(var, 0)))[:, None],
            None, 1e-7)

keys, arr = load(sys.argv[1])
x = np.concatenate([np.asarray(f.columns['x'], dtype=np.float64).reshape(f.nrows, -1)
                    for f in ps.read(sys.argv[2]) if f.kind == 'data' and f.nrows])
cols, _ = ps.read_all(sys.argv[3])
mean, std, members, tol = (gp if keys['model'] == 'gp' else mlp)(keys, arr, x)
k = mean.shape[1]
got = {c: np.asarray(cols[c]).reshape(len(x), -1) for c in cols}
assert np.array_equal(got['x'], x), 'x passed through'
err = {'mean': np.abs(got['mean'] - mean).max() / max(1, np.abs(mean).max()),
       'std': np.abs(got['std'] - std).max() / max(1, np.abs(std).max())}
if len(sys.argv) > 4 and sys.argv[4] == 'members':
    err['members'] = np.abs(got['members'] - members).max() / max(1, np.abs(members).max())
print(' '.join('%s %.3g' % kv for kv in err.items()), 'tol', tol,
      'rows', len(x), 'std>0', int((std > 0).sum()))
sys.exit(0 if all(e <= tol for e in err.values()) else 1)
EOF
cp "$TOP/share/pal_stream.py" .

cat >fd.py <<\EOF
# fd.py D H: rows of x and x +- H e_j for each x of stdin (CSV x.0,...).
import sys
import numpy as np
import pal_stream as ps
d, h = int(sys.argv[1]), float(sys.argv[2])
x = np.loadtxt(sys.stdin, delimiter=',', skiprows=1, ndmin=2)
rows = []
for xi in x:
    rows.append(xi)
    for j in range(d):
        for s in (1, -1):
            e = xi.copy(); e[j] += s * h; rows.append(e)
ps.write(sys.stdout.buffer, {'x': np.array(rows)})
EOF

cat >fdcheck.py <<\EOF
# fdcheck.py D H TOL OUT: grad of each base row against central differences
# of the mean at x +- H e_j.
import sys
import numpy as np
import pal_stream as ps
d, h, tol = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
c, _ = ps.read_all(sys.argv[4])
mean = np.asarray(c['mean'], dtype=np.float64).reshape(-1)
grad = np.asarray(c['grad'], dtype=np.float64).reshape(len(mean), d)
step = 1 + 2 * d
worst = 0
for b in range(0, len(mean), step):
    for j in range(d):
        fd = (mean[b + 1 + 2 * j] - mean[b + 2 + 2 * j]) / (2 * h)
        worst = max(worst, abs(fd - grad[b, j]) / max(1, abs(grad[b, j])))
print('max error %.3g (tol %g) over %d rows' % (worst, tol, len(mean) // step))
sys.exit(0 if worst <= tol else 1)
EOF

pal-gen --method sobol --n 300 --bounds -2:2,-1:3 --skip 1 -o in2.pal
pal-gen --method sobol --n 200 --bounds -2:2,-2:2,-2:2 --skip 1 -o in3.pal

i=0
for spec in "tanh f32 5 6,3 1" "tanh f64 5 6,3 1" "relu f32 5 8 2" \
	"relu f64 1 8 2" "silu f32 1 4,4 1" "silu f64 5 4,4,3 3" \
	"tanh f64 5 - 1"; do
	set -- $spec
	i=$((i + 1))
	test_expect_success "mlp $1 $2, $3 members, layers $4, $5 outputs: mean, std, members as numpy computes them" "
		model mlp $3 2 $4 $5 $1 $2 $i 1.25 >m$i.pal &&
		pal-predict --model m$i.pal --members -i in2.pal -o p$i.pal &&
		$PY check.py m$i.pal in2.pal p$i.pal members
	"
done

test_expect_success 'a model of 3 inputs, x of f32: numpy agrees' '
	model mlp 5 3 16,16 1 tanh f32 11 >m3d.pal &&
	$PY -c "
import numpy as np, pal_stream as ps
c, _ = ps.read_all(\"in3.pal\")
ps.write(\"in3f.pal\", {\"x\": np.asarray(c[\"x\"], dtype=np.float32)})
" &&
	pal-predict --model m3d.pal -i in3f.pal -o p3d.pal &&
	$PY check.py m3d.pal in3f.pal p3d.pal
'

model gp rbf 50 2 3 >grbf2.pal

for kern in rbf matern52; do
	test_expect_success "gp $kern: mean and std as numpy's closed form" "
		model gp $kern 60 3 4 >g$kern.pal &&
		pal-predict --model g$kern.pal -i in3.pal -o pg$kern.pal &&
		$PY check.py g$kern.pal in3.pal pg$kern.pal
	"
done

test_expect_success 'gp with fitted hyper-parameters: numpy agrees' '
	model gp rbf 40 2 9 fit >gfit.pal &&
	pal-predict --model gfit.pal -i in2.pal -o pgfit.pal &&
	$PY check.py gfit.pal in2.pal pgfit.pal
'

test_expect_success 'output columns: the input'"'"'s, mean, std, members, grad; old ones replaced' '
	pal-predict --model m1.pal --members --grad -i in2.pal -o a.pal &&
	pal-cat --info a.pal | sed -n "s/^\(x\|id\|mean\|std\|members\|grad\) *\([a-z0-9]*\) *\([0-9]*\).*/\1 \2 \3/p" >cols &&
	printf "id u64 1\nx f64 2\nmean f64 1\nstd f64 1\nmembers f64 5\ngrad f64 2\n" >want &&
	test_cmp want cols &&
	pal-predict --model m1.pal -i a.pal -o b.pal &&
	pal-cat --info b.pal | sed -n "s/^\([a-z]*\) *\([a-z0-9]*\) *\([0-9]*\).*/\1 \2 \3/p" | sed -n "/^[a-z]* [fiu][0-9]* [0-9]/p" >cols2 &&
	printf "id u64 1\nx f64 2\nmean f64 1\nstd f64 1\n" >want2 &&
	test_cmp want2 cols2
'

# --grad against central differences of the mean, on 20 points.
pal-cat --head 20 --columns x --to csv in2.pal >base2.csv
pal-cat --head 20 --columns x --to csv in3.pal >base3.csv
model mlp 5 2 8,8 1 relu f64 21 >mrelu.pal
model mlp 5 2 6 1 silu f64 22 >msilu.pal
for spec in "m2 2 1e-5 1e-6" "m7 2 1e-5 1e-6" "mrelu 2 1e-6 1e-6" \
	"msilu 2 1e-5 1e-6" "m5 2 1e-2 2e-3" \
	"gfit 2 1e-5 1e-6" "grbf 3 1e-5 1e-6" "gmatern52 3 1e-5 1e-6"; do
	set -- $spec
	test_expect_success "--grad of $1 against finite differences of the mean (h $3)" "
		$PY fd.py $2 $3 <base$2.csv >fd$1.pal &&
		pal-predict --model $1.pal --grad -i fd$1.pal -o g$1.out &&
		$PY fdcheck.py $2 $3 $4 g$1.out
	"
done

test_expect_success 'frames of 0 rows and metadata frames pass through' '
	$PY -c "
import numpy as np, pal_stream as ps
w = ps.Writer(\"mixed.pal\")
w.write_meta({\"note\": \"first\"})
w.write_columns({\"x\": np.zeros((0, 2))})
w.write_columns({\"x\": np.array([[0.5, 1.0], [1.5, -1.0]])})
w.write_meta({\"note\": \"second\"})
w.write_columns({\"x\": np.zeros((0, 2))})
w.write_columns({\"x\": np.array([[-0.25, 2.0]])})
w.close()
" &&
	pal-predict --model m2.pal -i mixed.pal -o mixed.out &&
	pal-cat --info mixed.out | grep "^meta" >meta &&
	printf "meta     note=first\nmeta     note=second\n" >want &&
	test_cmp want meta &&
	pal-cat --columns x --to csv mixed.out >x &&
	printf "x.0,x.1\n0.5,1\n1.5,-1\n-0.25,2\n" >want &&
	test_cmp want x &&
	$PY check.py m2.pal mixed.pal mixed.out &&
	pal-cat --head 0 in2.pal | pal-predict --model m2.pal >empty.out &&
	pal-cat --info empty.out | grep "^rows" >rows && test_grep " 0$" rows
'

test_expect_success 'standard input and output, as a filter: the same bytes as -i, -o' '
	pal-predict --model m1.pal --members <in2.pal >s.pal &&
	cmp s.pal p1.pal
'

# A row's prediction must not depend on the other rows of its frame: the
# same rows shifted by one (so every frame of tasks holds other rows) give
# the same bits, for f64 committees (with and without --grad) and GPs.
test_expect_success 'f64 committees and GPs: a row predicts the same bits whatever its neighbours' '
	pal-gen --method uniform --n 3000 --dim 2 --bounds -2:2 --seed 8 -o sh.pal &&
	pal-cat --to csv sh.pal | sed 2d | pal-cat --from csv -o shb.pal &&
	for run in "m2" "m2 --grad" "m6 --members" "grbf2" "grbf2 --grad"; do
		set -- $run
		pal-predict --model $1.pal ${2-} -i sh.pal | pal-cat --to csv | sed 2d >a.csv &&
		pal-predict --model $1.pal ${2-} -i shb.pal | pal-cat --to csv >b.csv &&
		test_cmp a.csv b.csv || exit 1
	done
'

# ---- errors ---------------------------------------------------------------

# fails CODE MESSAGE CMD...: exit CODE, exactly MESSAGE on stderr, no out.pal.
fails() {
	code=$1 msg=$2
	shift 2
	rm -f out.pal
	must_fail "$code" "$@" -o out.pal 2>err || return 1
	printf "%s\n" "$msg" >want
	test_cmp want err || return 1
	test ! -e out.pal || { echo "out.pal left behind"; return 1; }
	! ls out.pal.tmp* 2>/dev/null
}

test_expect_success 'no --model: a usage error' '
	must_fail 2 pal-predict -i in2.pal 2>err &&
	head -1 err >got && echo "pal-predict: give the model as --model FILE" >want &&
	test_cmp want got
'

test_expect_success 'a model that is not there, or not a model' '
	fails 1 "pal-predict: cannot open model '"'"'nope.pal'"'"': No such file or directory" \
		pal-predict --model nope.pal -i in2.pal &&
	fails 1 "pal-predict: '"'"'in2.pal'"'"' is not a model (it starts with a data frame, not kind=model)" \
		pal-predict --model in2.pal -i in2.pal
'

test_expect_success 'a model of a newer model_version is refused' '
	$PY -c "
import pal_stream as ps
w = ps.Writer(\"new.pal\")
w.write_meta([(\"kind\", \"model\"), (\"model_version\", \"2\"), (\"model\", \"mlp\")])
w.close()
" &&
	fails 1 "pal-predict: model made by a newer pal: model_version 2, this reads 1 (new.pal)" \
		pal-predict --model new.pal -i in2.pal
'

test_expect_success 'a corrupt model: a flipped byte, a cut file, a bad factor' '
	size=$(wc -c <m1.pal) &&
	cp m1.pal flip.pal &&
	printf "\377" | dd of=flip.pal bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	rm -f out.pal && must_fail 1 pal-predict --model flip.pal -i in2.pal -o out.pal 2>err &&
	test_grep "^pal-predict: .*(flip.pal" err && test ! -e out.pal &&
	head -c $((size - 30)) m1.pal >cut.pal &&
	must_fail 1 pal-predict --model cut.pal -i in2.pal -o out.pal 2>err &&
	test_grep "^pal-predict: .*cut.pal" err && test ! -e out.pal &&
	$PY -c "
import numpy as np, pal_stream as ps
w = ps.Writer(\"badchol.pal\")
for f in ps.read(\"grbf.pal\"):
    if f.kind == \"meta\":
        w.write_meta(f.meta)
    else:
        c = {k: np.array(v) for k, v in f.columns.items()}
        if \"chol\" in c and not w.__dict__.get(\"done\"):
            c[\"chol\"][2] = -1.0
            w.__dict__[\"done\"] = 1
        w.write_columns(c)
w.close()
" &&
	fails 1 "pal-predict: bad gaussian process in the model: its cholesky factor has -1 on the diagonal, row 1 (badchol.pal)" \
		pal-predict --model badchol.pal -i in3.pal
'

test_expect_success 'input without x, or x of another width' '
	pal-cat --columns id in2.pal >nox.pal &&
	fails 1 "pal-predict: no column '"'"'x'"'"' (nox.pal: frame 0 at offset 0)" \
		pal-predict --model m1.pal -i nox.pal &&
	fails 1 "pal-predict: x has width 3, the model takes 2 (in3.pal)" \
		pal-predict --model m1.pal -i in3.pal
'

test_expect_success '--grad of a model of 2 outputs, --members of a gp: usage errors' '
	rm -f out.pal &&
	must_fail 2 pal-predict --model m3.pal --grad -i in2.pal -o out.pal 2>err &&
	head -1 err >got &&
	echo "pal-predict: --grad needs a model of one output, not 2 (m3.pal)" >want &&
	test_cmp want got && test ! -e out.pal &&
	must_fail 2 pal-predict --model grbf.pal --members -i in3.pal -o out.pal 2>err &&
	head -1 err >got &&
	echo "pal-predict: --members applies to an mlp committee, not a gaussian process (grbf.pal)" >want &&
	test_cmp want got && test ! -e out.pal
'

test_expect_success 'x not finite: refused with the row and its id' '
	printf "id,x.0,x.1\n0,1,2\n7,3,4\n9,nan,1\n" | pal-cat --from csv -o nan.pal &&
	fails 1 "pal-predict: x is not finite in row 3, id 9 (nan.pal)" \
		pal-predict --model m1.pal -i nan.pal &&
	$PY -c "
import numpy as np, pal_stream as ps
ps.write(\"inf.pal\", {\"x\": np.array([[1, 2], [3, np.inf]], dtype=np.float32)})
" &&
	fails 1 "pal-predict: x is not finite in row 2 (inf.pal)" \
		pal-predict --model m1.pal -i inf.pal
'

# ---- bounded memory ---------------------------------------------------------

# Measured by GNU time's maximum resident size, so not under the sanitizers
# (ASan's quarantine holds freed memory).
if [ "${SAN-}" != 1 ] && [ -x /usr/bin/time ]; then
	test_expect_success 'a 1e6-row stream goes through in bounded memory' '
		model mlp 5 8 64,64 1 tanh f32 3 >big.pal &&
		pal-gen --method uniform --n 1000000 --dim 8 --bounds -1:1 --seed 2 |
			/usr/bin/time -v -o time.txt pal-predict --model big.pal --quiet |
			pal-cat --info >info &&
		test_grep "^rows *1000000$" info &&
		rss=$(sed -n "s/.*Maximum resident set size (kbytes): //p" time.txt) &&
		echo "max RSS ${rss} kB; the input alone is 72000 kB, the output 88000 kB" &&
		test "$rss" -lt 60000
	'
elif [ "${SAN-}" != 1 ]; then
	test_skip 'a 1e6-row stream goes through in bounded memory' 'no /usr/bin/time'
fi

# ---- MPI ----------------------------------------------------------------------

need_mpirun 'pal-predict under mpirun'

# 40000 rows: more than one rank holds at once, so the frames of tasks fall
# otherwise with 1 and 2 ranks.
pal-gen --method uniform --n 40000 --dim 2 --bounds -2:2 --seed 4 -o many.pal
model gp rbf 80 2 5 >gmany.pal

test_expect_success 'mpirun -n 2: f64 committees and GPs give the same bits as one rank, in input order' '
	for run in "m2 --grad" "m6 --members" "gmany --grad"; do
		set -- $run
		pal-predict --model $1.pal $2 -i many.pal -o s$1.pal &&
		mpi 2 pal-predict --model $1.pal $2 -i many.pal -o p$1.pal </dev/null &&
		pal-cat --to csv s$1.pal >s$1.csv &&
		pal-cat --to csv p$1.pal >p$1.csv &&
		test_cmp s$1.csv p$1.csv || exit 1
	done &&
	pal-cat --columns id --to csv pm2.pal >ids &&
	pal-cat --columns id --to csv many.pal >want && test_cmp want ids
'

test_expect_success 'mpirun -n 2: an f32 committee, the same to f32 rounding, in input order' '
	pal-predict --model m1.pal --members -i many.pal -o sm1.pal &&
	mpi 2 pal-predict --model m1.pal --members -i many.pal -o pm1.pal </dev/null &&
	pal-cat --columns id,x --to csv pm1.pal >got &&
	pal-cat --columns id,x --to csv many.pal >want && test_cmp want got &&
	$PY -c "
import numpy as np, pal_stream as ps
a, _ = ps.read_all(\"sm1.pal\"); b, _ = ps.read_all(\"pm1.pal\")
e = max(np.abs(np.asarray(a[c]) - np.asarray(b[c])).max() / max(1, np.abs(np.asarray(a[c])).max())
        for c in (\"mean\", \"std\", \"members\"))
print(\"max relative difference %.3g\" % e)
assert e < 1e-5
"
'

test_expect_success 'mpirun -n 2: a bad model ends every rank with one message' '
	rm -f out.pal &&
	mpi 2 pal-predict --model in2.pal -i in2.pal -o out.pal </dev/null 2>err
	test $? -ne 0 &&
	test "$(grep -c "is not a model" err)" -eq 1 && test ! -e out.pal &&
	mpi 2 pal-predict --model m3.pal --grad -i in2.pal -o out.pal </dev/null 2>err
	test $? -ne 0 &&
	test "$(grep -c "^pal-predict: --grad needs a model of one output" err)" -eq 1 &&
	test ! -e out.pal
'

test_expect_success 'mpirun -n 2: bad input ends the job, no output left' '
	mpi 2 pal-predict --model m1.pal -i in3.pal -o out.pal </dev/null 2>err
	test $? -ne 0 &&
	test "$(grep -c "^pal-predict: x has width 3, the model takes 2 (in3.pal)" err)" -eq 1 &&
	test ! -e out.pal && ! ls out.pal.tmp* 2>/dev/null &&
	mpi 2 pal-predict --model m1.pal -i nan.pal -o out.pal </dev/null 2>err
	test $? -ne 0 &&
	test_grep "^pal-predict: x is not finite in row 3, id 9 (nan.pal)" err &&
	test ! -e out.pal
'

test_done
