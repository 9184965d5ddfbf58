#!/bin/sh
# pal-orchestrate: a toy campaign runs to its budget, with no duplicate id,
# and its final model beats its first on rows it never saw; the same
# campaign twice gives the same bytes; --dry-run prints the commands that
# the next generation runs, and running them by hand gives the same files.
# (Config errors and the lock: t151; kill -9 and --resume: t152.)
. "$(dirname "$0")/lib.sh"

cat >toy.conf <<'EOF'
# a small campaign
budget = 52     # labels in all
initial = 20
batch = 8
candidates = 400
seed = 3
bounds = -5:10,0:15

[label]
builtin = branin

[train]
members = 3
layers = 16,16
epochs = 400
EOF

# RMSE of a model on test.pal (x and the true y), by awk.
rmse() {
	pal-predict --model "$1" -i test.pal -o pred.pal &&
	pal-cat --columns y,mean --to csv pred.pal |
	awk -F, 'NR > 1 { s += ($1 - $2)^2; n++ } END { printf "%.6f\n", sqrt(s / n) }'
}

test_expect_success 'a toy campaign runs to its budget' '
	pal-orchestrate --quiet --config toy.conf c1 2>err &&
	test ! -s err &&
	pal-cat --columns id --to csv c1/labeled.pal | sed 1d >ids &&
	test "$(wc -l <ids)" -eq 52 &&
	test "$(sort -u ids | wc -l)" -eq 52 &&
	test "$(pal-cat --columns status --to csv c1/labeled.pal | sed 1d | sort -u)" = 0 &&
	test_grep "^stop=budget$" c1/state &&
	test_grep "^labels=52$" c1/state &&
	cut -f1,2 c1/metrics.tsv >got &&
	printf "generation\tlabels\n0\t20\n1\t28\n2\t36\n3\t44\n4\t52\n" >want &&
	test_cmp want got &&
	ls c1/models >models &&
	printf "gen-%04d.pal\n" 0 1 2 3 4 >want && test_cmp want models &&
	test "$(head -1 c1/events.tsv)" = "$(printf "t_start\tt_end\tstage\trank\trows\tfirst_id\tqueue_s\tcompute_s")" &&
	test "$(awk -F"\t" "\$3 == \"label\"" c1/events.tsv | wc -l)" -eq 52 &&
	test "$(awk -F"\t" "\$3 == \"train\"" c1/events.tsv | wc -l)" -eq 5 &&
	test -e c1/logs/train-g0004.err
'

test_expect_success 'the labeled rows are the oracle'"'"'s, and the config as used is kept' '
	pal-label --builtin branin -i c1/labeled.pal -o relabel.pal &&
	pal-cat --columns id,y --to csv c1/labeled.pal >a &&
	pal-cat --columns id,y --to csv relabel.pal >b &&
	test_cmp a b &&
	test_grep "^budget = 52$" c1/config &&
	test_grep "^label.builtin = branin$" c1/config &&
	test_grep "^train.members = 3$" c1/config
'

test_expect_success 'the metrics: generation 1 on has a mean std and a prospective error' '
	awk -F"\t" "NR > 2 && (\$7 == \"nan\" || \$8 == \"nan\" || \$8 <= 0) { exit 1 }
		NR == 2 && \$7 != \"nan\" { exit 1 }" c1/metrics.tsv
'

test_expect_success 'the error falls: the final model beats the first on rows no model saw, and in val_rmse' '
	pal-gen --method uniform --n 300 --bounds -5:10,0:15 --seed 99 --start-id 1000000000 |
	pal-label --builtin branin -o test.pal &&
	first=$(rmse c1/models/gen-0000.pal) &&
	last=$(rmse c1/models/gen-0004.pal) &&
	echo "test RMSE: first $first, last $last" &&
	awk -v a="$first" -v b="$last" "BEGIN { exit !(b < 0.7 * a) }" &&
	awk -F"\t" "NR == 2 { a = \$6 } END { exit !(\$6 < 0.7 * a) }" c1/metrics.tsv
'

test_expect_success 'the prospective error is the last model on the new rows' '
	pal-predict --model c1/models/gen-0002.pal -i c1/gen-0003/labeled.pal -o p3.pal &&
	pal-cat --columns y,mean --to csv p3.pal |
	awk -F, "NR > 1 { s += (\$1 - \$2)^2; n++ } END { printf \"%.6g\n\", sqrt(s / n) }" >want &&
	awk -F"\t" "\$1 == 3 { print \$8 }" c1/metrics.tsv >got &&
	test_cmp want got
'

test_expect_success 'the same campaign twice: the same labeled set and models' '
	pal-orchestrate --quiet --config toy.conf c2 &&
	cmp c1/labeled.pal c2/labeled.pal &&
	for m in c1/models/*.pal; do cmp "$m" c2/models/${m#c1/models/} || exit 1; done &&
	cmp c1/config c2/config
'

cat >wrap.sh <<'EOF'
#!/bin/sh
# A user's program in place of a pal stage: it logs its call, then hands
# the same arguments to the pal program it stands for (WRAPS).
echo "WRAPS $*" >>"$WRAPLOG"
exec WRAPS "$@"
EOF
chmod +x wrap.sh
for st in gen predict select label train; do
	sed "s/WRAPS/pal-$st/" wrap.sh >wrap-$st.sh && chmod +x wrap-$st.sh
done

test_expect_success 'a user program in place of each stage (STAGE.program): the same campaign' '
	export WRAPLOG=$TRASH/wrap.log &&
	pal-orchestrate --quiet --config toy.conf $(for st in gen predict select label train; do
		printf " --set %s.program=%s" $st "$TRASH/wrap-$st.sh"; done) cw &&
	cmp c1/labeled.pal cw/labeled.pal &&
	for m in c1/models/*.pal; do cmp "$m" "cw/models/${m#c1/models/}" || exit 1; done &&
	for st in gen predict select label train; do
		n=$(grep -c "^pal-$st " wrap.log) && echo "$st: $n calls" &&
		test "$n" -ge 4 || exit 1
	done &&
	pal-orchestrate --dry-run --budget 60 cw >dry &&
	test_grep "^$TRASH/wrap-train.sh --quiet" dry &&
	test_grep "^$TRASH/wrap-label.sh --quiet" dry
'

test_expect_success 'STAGE.program: not found, or a relative path' '
	must_fail 1 pal-orchestrate --quiet --config toy.conf --set train.program=/no/such/trainer cx 2>err &&
	test_grep "program .*/no/such/trainer. not found or not executable (train.program)" err &&
	must_fail 2 pal-orchestrate --quiet --config toy.conf --set gen.program=bin/gen cy 2>err &&
	test_grep "gen.program: .bin/gen. is neither an absolute path nor a name to find on PATH" err
'

test_expect_success 'another seed, another campaign' '
	pal-orchestrate --quiet --config toy.conf --seed 4 --budget 28 c3 &&
	test_grep "^seed = 4$" c3/config &&
	! cmp -s c1/models/gen-0001.pal c3/models/gen-0001.pal
'

test_expect_success '--dry-run prints the next generation; run by hand, the same files' '
	pal-orchestrate --quiet --config toy.conf --budget 36 d1 &&
	cp -a d1 d2 &&
	pal-orchestrate --dry-run --budget 44 d2 >cmds &&
	test_grep "^# generation 3$" cmds &&
	test_grep "pal-select .*--top 8 " cmds &&
	test_grep "pal-train .*--init $TRASH/d2/models/gen-0002.pal" cmds &&
	! grep -q d1 cmds &&
	sh -e cmds &&
	pal-orchestrate --quiet --resume --budget 44 d1 &&
	cmp d1/labeled.pal d2/labeled.pal &&
	cmp d1/models/gen-0003.pal d2/models/gen-0003.pal &&
	cmp d1/gen-0003/selected.pal d2/gen-0003/selected.pal
'

test_expect_success '--resume with a larger budget extends a finished campaign' '
	test_grep "^stop=budget$" d1/state &&
	test_grep "^budget = 44$" d1/config &&
	test "$(tail -1 d1/metrics.tsv | cut -f1,2)" = "$(printf "3\t44")"
'

test_expect_success 'the report: written at the stop, and again by --report' '
	test_grep "<svg" c1/report.html &&
	test_grep "branin" c1/report.html &&
	rm c1/report.html &&
	pal-orchestrate --report c1 >out &&
	echo "$TRASH/c1/report.html" >want && test_cmp want out &&
	test_grep "<svg" c1/report.html &&
	must_fail 1 pal-orchestrate --report nothing-here 2>err &&
	must_fail 2 pal-orchestrate --report --resume c1 2>err &&
	test_grep "report takes no other option" err
'

test_expect_success 'a line per generation and the path of the report on stderr' '
	pal-orchestrate --config toy.conf --budget 28 v 2>err &&
	test "$(grep -c "^pal-orchestrate: generation [01]: [0-9]* of 28 labels, val_rmse [0-9.e-]*, mean_std [0-9.e-na]*, prosp_rmse [0-9.e-na]*$" err)" -eq 2 &&
	test_grep "^pal-orchestrate: stopped (budget) after generation 1 with 28 labels; the report: $TRASH/v/report.html$" err
'

# stops KEY=VALUE REASON GENERATIONS: a campaign with that key stops for
# REASON after that many generations (0 is the initial design).
stops() {
	rm -rf s && pal-orchestrate --quiet --config toy.conf --set "$1" s &&
	test_grep "^stop=$2$" s/state &&
	test "$(tail -1 s/metrics.tsv | cut -f1)" = "$3" &&
	pal-orchestrate --dry-run s >cmds &&
	echo "# the campaign has stopped ($2)" >want && test_cmp want cmds
}

test_expect_success 'the other stops: iterations, targets, wall time' '
	stops iterations=2 iterations 2 &&
	stops target_val_rmse=1e9 target_val_rmse 0 &&
	stops target_mean_std=1e9 target_mean_std 1 &&
	stops wall_time=1ms wall_time 0
'

test_expect_success 'DP-GEN convergence: the fraction of candidates below trust_lo' '
	pal-orchestrate --quiet --config toy.conf --set trust_lo=3 --budget 36 k &&
	for g in 1 2; do
		pal-cat --columns std --to csv k/gen-000$g/predicted.pal |
		awk "NR > 1 { n++; lo += \$1 < 3 } END { printf \"%.6g\n\", lo / n }" || exit 1
	done >want &&
	awk -F"\t" "NR > 2 { print \$12 }" k/metrics.tsv >got &&
	test_cmp want got &&
	test "$(head -1 k/metrics.tsv | cut -f12)" = converged &&
	test "$(sed -n 2p k/metrics.tsv | cut -f12)" = nan &&
	pal-orchestrate --quiet --config toy.conf --set trust_lo=1e9 \
		--set target_converged=1 kk &&
	test_grep "^stop=converged$" kk/state &&
	test "$(tail -1 kk/metrics.tsv | cut -f1,12)" = "$(printf "1\t1")"
'

test_expect_success 'baseline=yes: the same campaign with random selection in DIR/baseline, in the report' '
	pal-orchestrate --quiet --config toy.conf --budget 36 --set baseline=yes bl &&
	test_grep "^select.by = random$" bl/baseline/config &&
	test_grep "^baseline = no$" bl/baseline/config &&
	test_grep "^stop=budget$" bl/baseline/state &&
	cmp bl/gen-0000/append.pal bl/baseline/gen-0000/append.pal &&
	cmp bl/models/gen-0000.pal bl/baseline/models/gen-0000.pal &&
	! cmp -s bl/gen-0001/selected.pal bl/baseline/gen-0001/selected.pal &&
	test "$(cut -f1,2 bl/baseline/metrics.tsv | tail -1)" = "$(printf "2\t36")" &&
	test_grep "<th>baseline</th><td>random selection (baseline/metrics.tsv)</td>" bl/report.html &&
	pal-orchestrate --dry-run bl >cmds &&
	test_grep "pal-orchestrate --quiet --config $TRASH/bl/config --set select.by=random --set baseline=no --resume $TRASH/bl/baseline" cmds &&
	pal-orchestrate --quiet --resume --budget 44 bl &&
	test "$(cut -f1,2 bl/baseline/metrics.tsv | tail -1)" = "$(printf "3\t44")"
'

test_expect_success 'a budget below initial cuts the design; the ids after it stay those of initial' '
	pal-orchestrate --quiet --config toy.conf --budget 12 small &&
	test "$(tail -1 small/metrics.tsv | cut -f1,2)" = "$(printf "0\t12")" &&
	pal-orchestrate --quiet --resume --budget 20 small &&
	pal-cat --columns id --to csv small/gen-0001/candidates.pal | sed -n 2p >first &&
	echo 20 >want && test_cmp want first &&
	test "$(pal-cat --columns id --to csv small/labeled.pal | sed 1d | sort -u | wc -l)" -eq 20
'

test_expect_success 'examples/make-campaign: the same loop by make gives the same bytes, and make restarts it' '
	mf="$TOP/examples/make-campaign/Makefile" &&
	args="GENS=1\ 2 TRAIN=--members\ 3\ --layers\ 16,16\ --epochs\ 300\ --val-frac\ 0.2\ --seed\ 3 SEED=3 CANDIDATES=400" &&
	eval make -s -f "\$mf" D=mk $args &&
	pal-orchestrate --quiet --config toy.conf --set train.epochs=300 --budget 36 or &&
	cmp mk/labeled-2.pal or/labeled.pal &&
	for g in 0 1 2; do cmp mk/models/gen-$g.pal or/models/gen-000$g.pal || exit 1; done &&
	rm mk/models/gen-2.pal mk/labeled-2.pal mk/gen-2/labeled.pal &&
	eval make -f "\$mf" D=mk $args >log &&
	test_grep "pal-label" log && ! grep -q "pal-gen" log &&
	cmp mk/models/gen-2.pal or/models/gen-0002.pal &&
	eval make -f "\$mf" D=mk $args >log &&
	test_grep "Nothing to be done" log
'

test_expect_success '--dry-run of a new campaign: generation 0, nothing written' '
	pal-orchestrate --dry-run --config toy.conf new >cmds &&
	test_grep "^# generation 0$" cmds &&
	test_grep "pal-gen --quiet --method lhs --n 20 --bounds -5:10,0:15 --seed 3 --start-id 0 -o $TRASH/new/gen-0000/candidates.pal" cmds &&
	! grep -q pal-predict cmds &&
	test ! -e new
'

test_done
