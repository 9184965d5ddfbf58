#!/bin/sh
# pal-orchestrate --resume after kill -9: killed at every commit point in
# turn (PAL_TEST_KILL_AT: an append written but not yet in the state, a
# temporary not yet renamed), and at moments of the clock (during labeling,
# during training), then resumed each time, a campaign ends with the
# labeled set and models of a campaign never killed, byte for byte; and its
# external oracle, which counts its calls in a file, was called no more
# often than the labels plus the rows in flight at each kill; and a
# campaign resumed with other launchers and label.np, predict.np (not
# train.np) is the same campaign.
. "$(dirname "$0")/lib.sh"

cat >oracle.sh <<'EOF'
#!/bin/sh
# The toy bowl, counting each call as it starts.
echo "$PAL_ID" >>"$CALLS"
sleep 0.02
exec awk '{ s = 0; for (i = 1; i <= NF; i++) s += ($i - 0.5)^2; print s }'
EOF
chmod +x oracle.sh

cat >c.conf <<EOF
budget = 40
initial = 16
batch = 8
candidates = 100
seed = 7
dim = 2
[label]
exec = $TRASH/oracle.sh
jobs = 2
[train]
members = 2
layers = 8
epochs = 30
EOF

# Compare campaign $1 with the reference: labeled set, models, metrics.
same_as_ref() {
	cmp ref/labeled.pal "$1/labeled.pal" &&
	(cd ref/models && ls) >a && (cd "$1/models" && ls) >b && test_cmp a b &&
	for m in ref/models/*.pal; do cmp "$m" "$1/models/${m#ref/models/}" || return 1; done &&
	cut -f1,2,6- ref/metrics.tsv | cut -f1-3 >a && cut -f1,2,6- "$1/metrics.tsv" | cut -f1-3 >b &&
	test_cmp a b &&
	test_grep "^stop=budget$" "$1/state" &&
	test "$(awk -F"\t" "\$3 == \"label\"" "$1/events.tsv" | cut -f6 | sort -u | wc -l)" -eq 40
}

test_expect_success 'the campaign never killed' '
	CALLS=$TRASH/calls.ref pal-orchestrate --quiet --config c.conf ref &&
	test "$(wc -l <calls.ref)" -eq 40 &&
	pal-cat --columns id --to csv ref/labeled.pal | sed 1d | sort -n >ids.ref &&
	sort -n calls.ref >a && test_cmp ids.ref a
'

test_expect_success 'killed at commit points, resumed each time: the same campaign' '
	export CALLS=$TRASH/calls.a &&
	kills=0 && k=1 &&
	{ PAL_TEST_KILL_AT=$k pal-orchestrate --quiet --config c.conf ca; rc=$?; } &&
	while ! grep -q "^stop=budget$" ca/state 2>/dev/null; do
		test $rc -eq 137 || test $rc -eq 0 || { echo "exit $rc"; exit 1; }
		test $rc -eq 137 && kills=$((kills + 1))
		k=$((k % 6 + 2))
		# Killed before its config was in place, the campaign never
		# began: it is started again, not resumed.
		how=--resume && test -e ca/config || how="--config c.conf"
		{ PAL_TEST_KILL_AT=$k pal-orchestrate --quiet $how ca; rc=$?; }
		test $kills -lt 200 || exit 1
	done &&
	echo "$kills kills" &&
	test $kills -ge 15 &&
	same_as_ref ca &&
	calls=$(wc -l <calls.a) &&
	echo "$calls oracle calls for 40 labels" &&
	test "$calls" -le $((40 + 2 * kills))
'

# Start a run in the background, wait for $2 (a shell condition) and
# kill it with SIGKILL; how many times.
kill_when() {
	{ pal-orchestrate --quiet $1 cb 2>>b.err & pid=$!; } &&
	i=0 && while ! eval "$2" && kill -0 $pid 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 600 ] || return 1; sleep 0.01; done
	kill -9 $pid 2>/dev/null; wait $pid
	true
}

test_expect_success 'killed during labeling and during training, resumed: the same campaign' '
	export CALLS=$TRASH/calls.b &&
	kill_when "--config c.conf" "test -s calls.b" &&
	kill_when "--resume" "test -s cb/gen-0001/label.journal" &&
	kill_when "--resume" "test -e cb/logs/train-g0001.err" &&
	kill_when "--resume" "test \$(cat calls.b | wc -l) -ge 30" &&
	kill_when "--resume" "test -e cb/logs/train-g0002.err" &&
	pal-orchestrate --quiet --resume cb &&
	same_as_ref cb &&
	calls=$(wc -l <calls.b) &&
	echo "$calls oracle calls for 40 labels" &&
	test "$calls" -le $((40 + 2 * 5))
'

test_expect_success 'a truncated labeled set (a torn append) is cut back to the state' '
	cp -a ref t &&
	sed -i "s/^stop=budget$/stop=/" t/state &&
	printf "torn" >>t/labeled.pal &&
	printf "1\t2\n" >>t/metrics.tsv &&
	pal-orchestrate --quiet --resume t &&
	cmp ref/labeled.pal t/labeled.pal &&
	cmp ref/metrics.tsv t/metrics.tsv
'

test_expect_success 'a labeled set shorter than the state says is an error' '
	cp -a ref s &&
	head -c 100 ref/labeled.pal >s/labeled.pal &&
	must_fail 1 pal-orchestrate --quiet --resume s 2>err &&
	test_grep "labeled.pal. is shorter than the state says: 100 bytes, not" err
'

# Where the stages run may change on --resume (a node lost, another
# allocation): the launchers and the process counts of pal-label and
# pal-predict, whose results do not depend on them; train.np stays, as
# data-parallel training depends on the rank count.
if command -v mpirun >/dev/null 2>&1; then
test_expect_success 'resumed with other launchers and label.np, predict.np: the same campaign' '
	export CALLS=$TRASH/calls.p &&
	pal-orchestrate --quiet --config c.conf --budget 24 cp &&
	test_grep "^stop=budget$" cp/state &&
	must_fail 2 pal-orchestrate --quiet --resume --set train.np=2 cp 2>err &&
	echo "pal-orchestrate: campaign of another config: train.np is '"'"'1'"'"' there, '"'"'2'"'"' here ($TRASH/cp/config)" >want &&
	test_cmp want err &&
	pal-orchestrate --quiet --resume --budget 40 --set label.np=2 \
		--set "label.launcher=mpirun --bind-to none -n {np}" \
		--set predict.np=2 --set "predict.launcher=mpirun -x PALX=1 -n {np}" \
		--set "train.launcher=mpirun --bind-to none -n {np}" cp &&
	same_as_ref cp &&
	test_grep "^label.np = 2$" cp/config &&
	test_grep "^label.launcher = mpirun --bind-to none -n {np}$" cp/config &&
	test_grep "^predict.launcher = mpirun -x PALX=1 -n {np}$" cp/config &&
	test "$(awk -F"\t" "\$3 == \"label\" { print \$4 }" cp/events.tsv | sort -u | tr "\n" " ")" = "0 1 " &&
	sort -n calls.p >a && test_cmp ids.ref a
'
else
	test_skip 'resumed with other launchers and label.np, predict.np' 'no mpirun'
fi

test_done
