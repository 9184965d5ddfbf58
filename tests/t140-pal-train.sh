#!/bin/sh
# pal-train alone: fits that reach a stated accuracy on held-out points, the
# committee's spread, its calibration, training on forces, the Gaussian
# process against its closed form, model files, determinism and the errors.
# Every prediction is computed in numpy from the model file alone
# (tests/helpers/pal_model_np.py, written from pal-model(5) and mlp.h's
# layout), and the held-out labels by numpy, not by pal.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PYTHONPATH=$TOP/share:$TOP/tests/helpers
PYTHONDONTWRITEBYTECODE=1
export PY PYTHONPATH PYTHONDONTWRITEBYTECODE

# rel_rmse MODEL DATA BOUND: the relative RMSE (RMSE / std of y) of the
# committee or GP of MODEL on the rows of DATA, printed; fails above BOUND.
cat >rmse.py <<'EOF'
import sys
import numpy as np
import pal_model_np as pm
model, data, bound = sys.argv[1], sys.argv[2], float(sys.argv[3])
m = pm.load(model)
c = pm.columns(data)
if m.type() == 'gp':
    mean, _ = pm.gp_predict(m, c['x'])
    mean = mean.reshape(-1, 1)
else:
    mean, _, _ = pm.mlp_predict(m, c['x'])
r = np.sqrt(np.mean((mean - c['y']) ** 2)) / np.std(c['y'])
print('%s on %s: relative rmse %.4g (bound %g)' % (model, data, r, bound))
sys.exit(0 if r <= bound else 1)
EOF

# held_out FILE N FUNC LO HI [D]: N uniform random rows in [LO, HI]^D
# (D = 1) with y = FUNC(x) computed by numpy, written by pal_stream.py.
cat >heldout.py <<'EOF'
import sys
import numpy as np
import pal_stream
out, n, func, lo, hi = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    [float(t) for t in sys.argv[4].split(',')], \
    [float(t) for t in sys.argv[5].split(',')]
lo, hi = np.array(lo), np.array(hi)
x = lo + (hi - lo) * np.random.default_rng(12345).random((n, len(lo)))
def branin(x):
    a, b, c, r, s, t = 1, 5.1 / (4 * np.pi ** 2), 5 / np.pi, 6, 10, 1 / (8 * np.pi)
    return a * (x[:, 1] - b * x[:, 0] ** 2 + c * x[:, 0] - r) ** 2 + \
        s * (1 - t) * np.cos(x[:, 0]) + s
def mueller_brown(x):
    A = [-200, -100, -170, 15]; a = [-1, -1, -6.5, 0.7]; b = [0, 0, 11, 0.6]
    c = [-10, -10, -6.5, 0.7]; x0 = [1, 0, -0.5, -1]; y0 = [0, 0.5, 1.5, 1]
    u, v = x[:, 0], x[:, 1]
    return sum(A[k] * np.exp(a[k] * (u - x0[k]) ** 2 + b[k] * (u - x0[k]) *
               (v - y0[k]) + c[k] * (v - y0[k]) ** 2) for k in range(4))
f = {'sin3': lambda x: np.sin(3 * x[:, 0]),
     'branin': branin, 'mueller-brown': mueller_brown}[func]
pal_stream.write(out, {'id': np.arange(n, dtype=np.uint64), 'x': x,
                       'y': f(x)})
EOF

sobol_label() {	# OUT N BOUNDS ORACLE...: Sobol' points labeled
	out=$1 n=$2 bounds=$3
	shift 3
	pal-gen --method sobol --n "$n" --bounds "$bounds" --skip 1 |
	pal-label "$@" -o "$out"
}

sin3='awk "{ print sin(3 * \$1) }"'

test_expect_success 'a 1-D sine: relative RMSE under 0.03 on 400 held-out points' '
	sobol_label sine.pal 200 -1:1 --exec "$sin3" --chunk 200 &&
	$PY heldout.py sine-test.pal 400 sin3 -1 1 &&
	pal-train --epochs 300 --quiet -i sine.pal -o sine-model.pal &&
	$PY rmse.py sine-model.pal sine-test.pal 0.03
'

test_expect_success 'Branin: relative RMSE under 0.05 on 1000 held-out points' '
	sobol_label branin.pal 512 -5:10,0:15 --builtin branin &&
	$PY heldout.py branin-test.pal 1000 branin -5,0 10,15 &&
	pal-train --epochs 300 --quiet -i branin.pal -o branin-model.pal &&
	$PY rmse.py branin-model.pal branin-test.pal 0.05
'

test_expect_success 'the committee is unsure away from its data: std at x in [1,2] over 5x that in [-1,0]' '
	sobol_label half.pal 100 -1:0 --exec "$sin3" --chunk 100 &&
	pal-train --epochs 200 --quiet -i half.pal -o half-model.pal &&
	$PY - <<-EOF
	import numpy as np, pal_model_np as pm
	m = pm.load("half-model.pal")
	_, sin, _ = pm.mlp_predict(m, np.linspace(-1, 0, 101))
	_, sout, _ = pm.mlp_predict(m, np.linspace(1, 2, 101))
	print("mean std inside %.4g, outside %.4g, ratio %.3g" %
	      (sin.mean(), sout.mean(), sout.mean() / sin.mean()))
	assert sout.mean() > 5 * sin.mean()
	assert float(m.keys["calibration"]) == 1
	EOF
'

test_expect_success 'calibration: held-out z-scores have variance 1 within 0.35; the key is what stderr says' '
	$PY - <<-EOF &&
	import numpy as np, pal_stream
	rng = np.random.default_rng(7)
	for name, n in (("noisy.pal", 300), ("fresh.pal", 2000)):
	    x = rng.uniform(-1, 1, (n, 2))
	    y = np.sin(3 * x[:, 0]) * np.cos(2 * x[:, 1]) + 0.1 * rng.standard_normal(n)
	    pal_stream.write(name, {"x": x, "y": y})
	EOF
	pal-train --val-frac 0.3 --epochs 150 -i noisy.pal -o cal.pal 2>err &&
	cat err &&
	$PY - <<-EOF
	import re, numpy as np, pal_model_np as pm
	m = pm.load("cal.pal")
	s = float(m.keys["calibration"])
	said = re.findall(r"calibration[^0-9]*([0-9][0-9.e+-]*)", open("err").read())
	print("calibration key %.6g, stderr says %s" % (s, said))
	assert said and abs(float(said[-1]) - s) <= 1e-3 * s
	c = pm.columns("fresh.pal")
	mean, std, _ = pm.mlp_predict(m, c["x"])
	z = (c["y"] - mean) / std
	raw = z * s
	print("z variance %.4f calibrated (scale %.4g), %.4f raw" % (z.var(), s, raw.var()))
	assert abs(z.var() - 1) <= 0.35
	assert s != 1
	EOF
'

test_expect_success 'forces: 24 rows with grad reach the energy-only RMSE of 96 rows (Mueller-Brown)' '
	sobol_label mb24.pal 24 -1.5:0.7,0:1.8 --builtin mueller-brown --grad &&
	sobol_label mb96.pal 96 -1.5:0.7,0:1.8 --builtin mueller-brown --grad &&
	$PY heldout.py mb-test.pal 1000 mueller-brown -1.5,0 0.7,1.8 &&
	pal-train --epochs 400 --quiet -i mb96.pal -o e96.pal &&
	pal-train --epochs 400 --quiet -i mb24.pal -o e24.pal &&
	pal-train --epochs 400 --quiet --grad-weight 1 -i mb24.pal -o f24.pal &&
	e96=$($PY rmse.py e96.pal mb-test.pal 1) && echo "energies, 96 rows: $e96" &&
	e24=$($PY rmse.py e24.pal mb-test.pal 1) && echo "energies, 24 rows: $e24" &&
	f24=$($PY rmse.py f24.pal mb-test.pal 1) && echo "forces, 24 rows: $f24" &&
	r() { echo "$1" | sed "s/.*relative rmse \([^ ]*\) .*/\1/"; } &&
	awk -v e96="$(r "$e96")" -v e24="$(r "$e24")" -v f24="$(r "$f24")" \
		"BEGIN { exit !(f24 <= e96 && f24 < e24 / 2) }"
'

test_expect_success 'the GP interpolates its data when the noise is tiny (1e-6 relative)' '
	sobol_label gpi.pal 15 -1:1 --exec "$sin3" --chunk 15 &&
	pal-train --model gp --quiet -i gpi.pal -o gpi-model.pal &&
	$PY - <<-EOF
	import numpy as np, pal_model_np as pm
	m = pm.load("gpi-model.pal")
	c = pm.columns("gpi.pal")
	mean, std = pm.gp_predict(m, c["x"])
	err = np.abs(mean - c["y"][:, 0]).max() / np.abs(c["y"]).max()
	print("noise variance %.3g; max relative error at the rows %.3g; max std %.3g"
	      % (np.exp(m.nums("theta")[-1]), err, std.max()))
	assert err <= 1e-6
	EOF
'

test_expect_success 'the GP of two points is the closed-form posterior at its hyper-parameters' '
	printf "x,y\n0.2,1\n0.7,-0.5\n" | pal-cat --from csv -o two.pal &&
	for k in rbf matern52; do
		pal-train --model gp --kernel $k --quiet -i two.pal -o two-$k.pal || exit 1
		KERNEL=$k $PY - <<-EOF || exit 1
		import os, numpy as np, pal_model_np as pm
		m = pm.load("two-%s.pal" % os.environ["KERNEL"])
		assert m.keys["kernel"] == os.environ["KERNEL"] and m.int("n") == 2
		q = np.array([-0.5, 0.2, 0.45, 0.7, 1.3])
		# the closed form, by hand: K = sf2 [[1, c], [c, 1]] + sn2 I
		th = m.nums("theta"); l, sf2, sn2 = np.exp(th)
		xm, xs = m.nums("x_mean")[0], m.nums("x_std")[0]
		ym, ys = float(m.keys["y_mean"]), float(m.keys["y_std"])
		X = (np.array([0.2, 0.7]) - xm) / xs
		Y = (np.array([1, -0.5]) - ym) / ys
		def k(a, b):
		    r = abs(a - b) / l
		    if m.keys["kernel"] == "rbf":
		        return sf2 * np.exp(-r * r / 2)
		    return sf2 * (1 + 5 ** .5 * r + 5 * r * r / 3) * np.exp(-5 ** .5 * r)
		a = k(X[0], X[0]) + sn2 + float(m.keys["jitter"]); c = k(X[0], X[1])
		det = a * a - c * c
		Kinv = np.array([[a, -c], [-c, a]]) / det
		mean, std = [], []
		for z in (q - xm) / xs:
		    ks = np.array([k(z, X[0]), k(z, X[1])])
		    mean.append(ym + ys * ks @ Kinv @ Y)
		    std.append(ys * np.sqrt(max(sf2 - ks @ Kinv @ ks, 0)))
		gm, gs = pm.gp_predict(m, q)
		em = np.abs(gm - mean).max(); es = np.abs(gs - std).max()
		print("%s: l %.4g sf2 %.4g sn2 %.3g; max |mean - closed form| %.3g, std %.3g"
		      % (m.keys["kernel"], l, sf2, sn2, em, es))
		assert em <= 1e-9 * max(1, np.abs(mean).max()) and es <= 1e-9 * max(1, max(std))
		# and the stored data are the rows, standardised
		assert np.allclose(m.arrays["x"].ravel(), X, rtol=0, atol=1e-15)
		assert np.allclose(m.arrays["y"].ravel(), Y, rtol=0, atol=1e-15)
		EOF
	done
'

test_expect_success 'pal-cat --info shows a model: its kind, keys and theta' '
	pal-cat --info sine-model.pal >info &&
	test_grep "^meta     kind=model$" info &&
	test_grep "^meta     model=mlp$" info &&
	test_grep "^meta     members=5$" info &&
	test_grep "^meta     layers=64,64$" info &&
	test_grep "^meta     activation=tanh$" info &&
	test_grep "^meta     array.theta=f32 5,4353$" info &&
	test_grep "^theta  *f32  *4353 " info &&
	pal-cat --info gpi-model.pal >ginfo &&
	test_grep "^meta     model=gp$" ginfo &&
	test_grep "^meta     kernel=rbf$" ginfo &&
	test_grep "^meta     array.chol=f64 120$" ginfo
'

test_expect_success 'a model through pal-cat (copied, compressed) is the same model' '
	pal-cat sine-model.pal >copy.pal && cmp sine-model.pal copy.pal &&
	pal-cat --compress=9 sine-model.pal -o z.pal && ! cmp -s sine-model.pal z.pal &&
	$PY - <<-EOF &&
	import numpy as np, pal_model_np as pm
	a, b = pm.load("sine-model.pal"), pm.load("z.pal")
	assert a.keys == b.keys and (a.arrays["theta"] == b.arrays["theta"]).all()
	EOF
	pal-train --init sine-model.pal --epochs 3 --quiet -i sine.pal -o w1.pal &&
	pal-train --init z.pal --epochs 3 --quiet -i sine.pal -o w2.pal &&
	cmp w1.pal w2.pal
'

test_expect_success 'a flipped byte in an --init model is refused, naming the file' '
	cp sine-model.pal bad.pal &&
	size=$(wc -c <bad.pal) &&
	printf "\\377" | dd of=bad.pal bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	must_fail 1 pal-train --init bad.pal --epochs 1 -i sine.pal -o out.pal 2>err &&
	cat err && test_grep "^pal-train: .*checksum mismatch (bad.pal" err &&
	test ! -e out.pal
'

test_expect_success 'a model of model_version 2 is refused: made by a newer pal' '
	$PY - <<-EOF &&
	import pal_stream
	with pal_stream.Writer("v2.pal") as w:
	    for f in pal_stream.read("sine-model.pal"):
	        if f.kind == "meta":
	            w.write_meta([(k, "2" if k == "model_version" else v) for k, v in f.meta])
	        else:
	            w.write_columns(f.columns)
	EOF
	pal-cat --info v2.pal | test_grep "^meta     model_version=2$" - &&
	must_fail 1 pal-train --init v2.pal --epochs 1 -i sine.pal -o out.pal 2>err &&
	echo "pal-train: model made by a newer pal: model_version 2, this reads 1 (v2.pal)" >want &&
	test_cmp want err && test ! -e out.pal
'

test_expect_success '--init with a model of another architecture is refused' '
	must_fail 1 pal-train --init sine-model.pal --layers 32 --epochs 1 -i sine.pal -o out.pal 2>err1 &&
	cat err1 && test_grep "sine-model.pal" err1 && test_grep "64,64" err1 &&
	must_fail 1 pal-train --init sine-model.pal --members 3 --epochs 1 -i sine.pal -o out.pal 2>err2 &&
	cat err2 && test_grep "sine-model.pal" err2 &&
	must_fail 1 pal-train --init sine-model.pal --epochs 1 -i branin.pal -o out.pal 2>err3 &&
	cat err3 && test_grep "sine-model.pal" err3 &&
	test ! -e out.pal
'

test_expect_success '--init warm start: 20 more epochs beat 20 from scratch, reach the model it started from' '
	pal-train --epochs 20 --quiet -i sine.pal -o cold20.pal &&
	pal-train --init sine-model.pal --epochs 20 --quiet -i sine.pal -o warm20.pal &&
	base=$($PY rmse.py sine-model.pal sine-test.pal 1) && echo "300 epochs: $base" &&
	cold=$($PY rmse.py cold20.pal sine-test.pal 1) && echo "20 epochs from scratch: $cold" &&
	warm=$($PY rmse.py warm20.pal sine-test.pal 1) && echo "300 + 20 epochs: $warm" &&
	r() { echo "$1" | sed "s/.*relative rmse \([^ ]*\) .*/\1/"; } &&
	awk -v b="$(r "$base")" -v c="$(r "$cold")" -v w="$(r "$warm")" \
		"BEGIN { exit !(w <= 1.5 * b && c > 3 * w) }"
'

test_expect_success 'the same command twice: byte-identical models; another --seed differs' '
	pal-train --epochs 20 --val-frac 0.2 --bootstrap --quiet -i branin.pal -o d1.pal &&
	pal-train --epochs 20 --val-frac 0.2 --bootstrap --quiet -i branin.pal -o d2.pal &&
	cmp d1.pal d2.pal &&
	pal-train --epochs 20 --val-frac 0.2 --bootstrap --quiet --seed 1 -i branin.pal -o d3.pal &&
	! cmp -s d1.pal d3.pal &&
	pal-train --model gp --quiet -i gpi.pal -o g1.pal &&
	pal-train --model gp --quiet -i gpi.pal -o g2.pal && cmp g1.pal g2.pal
'

test_expect_success '--log writes the loss curves as TSV, a line per member and epoch' '
	pal-train --members 2 --epochs 7 --val-frac 0.25 --log curve.tsv --quiet -i sine.pal -o lm.pal &&
	head -1 curve.tsv >head && printf "member\tepoch\tloss\tval_loss\n" >want &&
	test_cmp want head &&
	test "$(sed 1d curve.tsv | wc -l)" -eq 14 &&
	sed 1d curve.tsv | awk -F "\t" "NF != 4 || \$3 + 0 <= 0 || \$4 + 0 <= 0 { bad = 1; print } END { exit bad }"
'

test_expect_success 'each option at work: f64, relu, silu, sgd, momentum, rmsprop, adadelta, weight decay, patience' '
	pal-train --precision f64 --epochs 5 --quiet -i sine.pal -o p64.pal &&
	pal-cat --info p64.pal | test_grep "^meta     array.theta=f64 5,4353$" - &&
	for a in relu silu; do
		pal-train --activation $a --layers 16 --epochs 5 --quiet -i sine.pal -o $a.pal &&
		pal-cat --info $a.pal | test_grep "^meta     activation=$a$" - || exit 1
	done &&
	for o in sgd momentum rmsprop adadelta adam; do
		pal-train --optimizer $o --layers 16 --epochs 50 --quiet -i sine.pal -o $o.pal &&
		$PY rmse.py $o.pal sine-test.pal 0.9 || exit 1
	done &&
	pal-train --weight-decay 1 --layers 16 --epochs 50 --quiet -i sine.pal -o wd.pal &&
	$PY - <<-EOF &&
	import numpy as np, pal_model_np as pm
	a = np.abs(pm.load("wd.pal").arrays["theta"]).sum()
	b = np.abs(pm.load("adam.pal").arrays["theta"]).sum()
	print("sum |theta|: %.4g with --weight-decay 1, %.4g without" % (a, b))
	assert a < b
	EOF
	pal-train --val-frac 0.2 --patience 2 --lr 0.5 --epochs 500 --log pat.tsv --quiet -i sine.pal -o pat.pal &&
	test "$(sed 1d pat.tsv | wc -l)" -lt 2500
'

test_expect_success 'failed rows are left out and counted' '
	printf "x,y,status\n0.1,1,0\n0.2,2,0\n0.3,nan,3\n0.4,4,0\n0.5,nan,1\n" |
	pal-cat --from csv --type status=i32 -o some.pal &&
	pal-train --members 2 --layers 4 --epochs 2 -i some.pal -o some-model.pal 2>err &&
	cat err && test_grep "2 failed" err
'

test_expect_success 'errors: no rows, every row failed, a NaN label, x widths that change' '
	pal-cat --head 0 sine.pal >empty.pal &&
	must_fail 1 pal-train -i empty.pal -o out.pal 2>err &&
	cat err && test_grep "^pal-train: no labeled rows in the input.*empty.pal" err &&
	printf "x,y,status\n0.1,nan,1\n0.2,nan,2\n" | pal-cat --from csv --type status=i32 -o failed.pal &&
	must_fail 1 pal-train -i failed.pal -o out.pal 2>err &&
	cat err && test_grep "^pal-train: .*2 failed" err && test_grep "failed.pal" err &&
	printf "id,x,y\n1,0.1,1\n7,0.2,nan\n" | pal-cat --from csv --type id=u64 -o nan.pal &&
	must_fail 1 pal-train -i nan.pal -o out.pal 2>err &&
	echo "pal-train: non-finite y in the row of id 7, whose status is 0 (nan.pal: frame 0 at offset 0)" >want &&
	test_cmp want err &&
	printf "x.0,x.1,y\n1,2,3\n" | pal-cat --from csv -o w2.pal &&
	cat sine.pal w2.pal >mixed.pal &&
	must_fail 1 pal-train -i mixed.pal -o out.pal 2>err &&
	cat err && test_grep "^pal-train: column x has width 2, not 1 as in the first rows (mixed.pal" err &&
	test ! -e out.pal
'

test_expect_success 'a failed run leaves no -o file, and an old one as it was' '
	echo old >kept.pal &&
	must_fail 1 pal-train -i empty.pal -o kept.pal 2>/dev/null &&
	echo old >want && test_cmp want kept.pal &&
	must_fail 1 pal-train -i nan.pal -o gone.pal 2>/dev/null &&
	test ! -e gone.pal && ! ls gone.pal.tmp* 2>/dev/null
'

test_expect_success 'bad option values: exit 2, the option named, nothing written' '
	for args in "--members 0" "--members x" "--layers 64,,64" "--layers 0,4" \
		"--activation sigmoid" "--epochs 0" "--batch 0" "--lr -1" "--lr nan" \
		"--optimizer lbfgs" "--weight-decay -1" "--val-frac 1" "--val-frac -0.1" \
		"--patience -1" "--precision f16" "--grad-weight -1" "--kernel cubic" \
		"--restarts -1" "--parallel threads" "--sync-every 0" "--model svm" \
		"--seed x"; do
		opt=${args%% *}
		pal-train $args -i sine.pal -o out.pal >out 2>err
		rc=$?
		test $rc -eq 2 || { echo "$args: exit $rc"; cat err; exit 1; }
		grep -q -e "$opt" err || { echo "$args: $opt not named:"; cat err; exit 1; }
		test ! -s out && test ! -e out.pal || { echo "$args: output"; exit 1; }
	done
'

test_expect_success 'the GP refuses more than 10000 rows, saying its limit, and k > 1' '
	pal-gen --method uniform --n 10001 --bounds -5:10,0:15 | pal-label --builtin branin -o big.pal &&
	must_fail 1 pal-train --model gp -i big.pal -o out.pal 2>err &&
	cat err && test_grep "10001 training rows beyond the gaussian process.s limit of 10000" err &&
	printf "x,y.0,y.1\n0.1,1,2\n0.2,3,4\n0.3,5,7\n" | pal-cat --from csv -o k2.pal &&
	pal-train --members 2 --layers 4 --epochs 2 --quiet -i k2.pal -o k2-mlp.pal &&
	pal-cat --info k2-mlp.pal | test_grep "^meta     k=2$" - &&
	must_fail 1 pal-train --model gp -i k2.pal -o out.pal 2>err &&
	cat err && test_grep "^pal-train: .*one output" err &&
	test ! -e out.pal
'

test_done
