#!/bin/sh
# pal-orchestrate with MPI stages: the oracle, the predictions and the
# training each on two ranks under mpirun give, for a committee in f64,
# the same labeled set and models, byte for byte, as one process each (the
# stages promise it: pal-label --ordered, pal-predict in f64, pal-train's
# members mode); and examples/toy runs (at a smaller budget).
. "$(dirname "$0")/lib.sh"
need_mpirun 'pal-orchestrate under mpirun'

cat >m.conf <<'EOF2'
budget = 24
initial = 12
batch = 6
candidates = 200
seed = 5
bounds = -5:10,0:15
[label]
builtin = branin
[train]
members = 2
layers = 8
epochs = 100
precision = f64
EOF2

test_expect_success 'one process a stage' '
	pal-orchestrate --quiet --config m.conf one
'

test_expect_success 'pal-train --init on two ranks: the model of one (the scaling of the --init model on every rank)' '
	pal-cat one/gen-0000/append.pal one/gen-0001/append.pal -o l1.pal &&
	opts="--quiet --members 2 --epochs 50 --layers 8 --val-frac 0.2 --precision f64 --init one/models/gen-0000.pal -i l1.pal" &&
	pal-train $opts -o a1.pal &&
	mpi 2 pal-train $opts -o a2.pal &&
	cmp a1.pal a2.pal
'

test_expect_success 'two ranks a stage: the same labeled set and models' '
	pal-orchestrate --quiet --config m.conf --set label.np=2 \
		--set predict.np=2 --set train.np=2 two &&
	cmp one/labeled.pal two/labeled.pal &&
	for m in one/models/*.pal; do cmp "$m" two/models/${m#one/models/} || exit 1; done &&
	pal-orchestrate --dry-run --budget 30 two >cmds &&
	test_grep "mpirun.* -n 2 .*pal-label " cmds &&
	test_grep "mpirun.* -n 2 .*pal-train " cmds &&
	test_grep "mpirun.* -n 2 .*pal-predict " cmds &&
	test "$(awk -F"\t" "\$3 == \"label\" { print \$4 }" two/events.tsv | sort -u | tr "\n" " ")" = "0 1 "
'

test_expect_success 'the launcher template: {np} replaced, words kept' '
	pal-orchestrate --dry-run --config m.conf --set label.np=3 \
		--set "label.launcher=mpirun --bind-to none -n {np}" three >cmds &&
	test_grep "^/[^ ]*/mpirun --oversubscribe --bind-to none -n 3 /[^ ]*/pal-label " cmds
'

test_expect_success 'examples/toy runs (at 36 labels)' '
	pal-orchestrate --quiet --config "$TOP/examples/toy/toy.conf" --budget 36 \
		--set label.np=2 toy &&
	test "$(tail -1 toy/metrics.tsv | cut -f1,2)" = "$(printf "2\t36")" &&
	test -s toy/report.html
'

test_done
