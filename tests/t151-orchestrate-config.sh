#!/bin/sh
# pal-orchestrate: a bad config line is a usage error naming the file and
# line; a directory that is not a campaign, or a campaign of another
# config, is refused; a second driver on a running campaign is refused by
# the lock, naming the first one's pid; kill -9 of the driver kills its
# stage; a failing stage stops the campaign with the end of its log, and
# --resume carries on once the cause is gone; without mpirun the stages
# run directly, with a warning.
. "$(dirname "$0")/lib.sh"

cat >base.conf <<'EOF'
budget = 12
initial = 8
batch = 4
candidates = 50
dim = 2
[label]
builtin = toy
[train]
members = 2
layers = 4
epochs = 5
EOF

# bad LINE TEXT MESSAGE: base.conf with line LINE replaced by TEXT must
# fail with status 2 and exactly MESSAGE, leaving no directory.
bad() {
	awk -v n="$1" -v t="$2" 'NR == n { print t; next } { print }' base.conf >bad.conf &&
	must_fail 2 pal-orchestrate --config bad.conf bd 2>err &&
	echo "pal-orchestrate: $3" >want &&
	test_cmp want err &&
	test ! -e bd
}

test_expect_success 'an unknown key names the file and line' '
	bad 2 "budgte = 12" "unknown key '"'"'budgte'"'"' (bad.conf:2)"
'

test_expect_success 'an unknown key in a section, with its section' '
	bad 11 "epoch = 5" "unknown key '"'"'train.epoch'"'"' (bad.conf:11)"
'

test_expect_success 'bad values name the key, the rule, the file and line' '
	bad 1 "budget = ten" "bad value '"'"'ten'"'"' for budget: not a whole number (bad.conf:1)" &&
	bad 1 "budget = 0" "bad value '"'"'0'"'"' for budget: not in 1..1000000000 (bad.conf:1)" &&
	bad 11 "epochs = -5" "bad value '"'"'-5'"'"' for train.epochs: not a whole number (bad.conf:11)" &&
	bad 10 "activation = sigmoid" "bad value '"'"'sigmoid'"'"' for train.activation: not one of tanh|relu|silu (bad.conf:10)"
'

test_expect_success 'lines that are not key = value, bad sections, twice a key' '
	bad 3 "batch 4" "not a key = value line: '"'"'batch 4'"'"' (bad.conf:3)" &&
	bad 6 "[label" "bad section line '"'"'[label'"'"' (bad.conf:6)" &&
	bad 7 "train.epochs = 5" "dotted key '"'"'train.epochs'"'"' in section [label] (bad.conf:7)" &&
	bad 4 "budget = 20" "budget set twice (bad.conf:4)" &&
	bad 4 " = 3" "no key before '"'"'='"'"' (bad.conf:4)"
'

test_expect_success 'comments, blank lines and dotted keys are fine' '
	{ echo "# a comment"; echo "select.by = ucb:1"; echo;
	  sed "s/^budget = 12/budget = 12   # labels/; s/^members = 2/members = 2#no comment/" base.conf; } >ok.conf &&
	must_fail 2 pal-orchestrate --dry-run --config ok.conf dr 2>err &&
	test_grep "bad value .2#no comment. for train.members" err &&
	sed -i "s/#no comment//" ok.conf &&
	pal-orchestrate --dry-run --config ok.conf dr >cmds &&
	test_grep "^# generation 0$" cmds
'

test_expect_success '--set: unknown keys and bad values, and it overrides the file' '
	must_fail 2 pal-orchestrate --config base.conf --set nokey=1 bd 2>err &&
	echo "pal-orchestrate: unknown key '"'"'nokey'"'"' (--set)" >want && test_cmp want err &&
	must_fail 2 pal-orchestrate --config base.conf --set label.np=x bd 2>err &&
	echo "pal-orchestrate: bad value '"'"'x'"'"' for label.np: not a whole number (--set)" >want &&
	test_cmp want err &&
	must_fail 2 pal-orchestrate --config base.conf --set budget bd 2>err &&
	test_grep "is not key=value" err &&
	pal-orchestrate --dry-run --config base.conf --set train.epochs=7 dr >cmds &&
	test_grep "pal-train .*--epochs 7 " cmds &&
	test ! -e bd
'

test_expect_success 'whole-config errors: no oracle, two oracles, no box' '
	grep -v builtin base.conf >c1.conf &&
	must_fail 2 pal-orchestrate --config c1.conf bd 2>err &&
	echo "pal-orchestrate: the config needs one of label.builtin and label.exec" >want &&
	test_cmp want err &&
	must_fail 2 pal-orchestrate --config base.conf --set label.exec=true bd 2>err &&
	test_cmp want err &&
	grep -v dim base.conf >c2.conf &&
	must_fail 2 pal-orchestrate --config c2.conf bd 2>err &&
	echo "pal-orchestrate: the config needs bounds or dim" >want && test_cmp want err &&
	test ! -e bd &&
	must_fail 2 pal-orchestrate --config base.conf --set target_converged=0.9 bd 2>err &&
	echo "pal-orchestrate: target_converged needs trust_lo" >want && test_cmp want err &&
	must_fail 2 pal-orchestrate --config base.conf --set target_converged=2 --set trust_lo=1 bd 2>err &&
	echo "pal-orchestrate: target_converged is a fraction, at most 1" >want && test_cmp want err
'

test_expect_success 'the stream policy: no walkers, no bad policy' '
	must_fail 2 pal-orchestrate --config base.conf --policy stream --set gen.walk=langevin --set gen.dt=0.001 bd 2>err &&
	echo "pal-orchestrate: gen.walk is for the batch policy: walkers move a generation at a time" >want &&
	test_cmp want err &&
	must_fail 2 pal-orchestrate --config base.conf --policy streaming bd 2>err &&
	echo "pal-orchestrate: --policy: '"'"'streaming'"'"' is not batch or stream" >want &&
	head -1 err >err1 && test_cmp want err1 &&
	! test -e bd
'

test_expect_success 'usage errors' '
	must_fail 2 pal-orchestrate --config base.conf 2>err &&
	test_grep "no campaign directory given" err &&
	must_fail 2 pal-orchestrate bd 2>err &&
	test_grep "a new campaign needs --config (or --resume)" err &&
	must_fail 2 pal-orchestrate --budget 0 --config base.conf bd 2>err &&
	must_fail 2 pal-orchestrate --config base.conf a b 2>err &&
	test_grep "give one campaign directory" err
'

test_expect_success 'a directory that is not a campaign is refused' '
	mkdir other && echo precious >other/file &&
	must_fail 1 pal-orchestrate --config base.conf other 2>err &&
	echo "pal-orchestrate: not a campaign, and not empty ($TRASH/other)" >want &&
	test_cmp want err &&
	must_fail 1 pal-orchestrate --resume other 2>err &&
	echo "pal-orchestrate: not a campaign: no config ($TRASH/other)" >want &&
	test_cmp want err &&
	test "$(ls other)" = file
'

test_expect_success 'a campaign is not started twice, nor resumed with another config' '
	pal-orchestrate --quiet --config base.conf c &&
	test_grep "^stop=budget$" c/state &&
	cp c/labeled.pal before.pal &&
	must_fail 1 pal-orchestrate --config base.conf c 2>err &&
	echo "pal-orchestrate: a campaign is there already; continue it with --resume ($TRASH/c)" >want &&
	test_cmp want err &&
	must_fail 2 pal-orchestrate --resume --seed 9 c 2>err &&
	echo "pal-orchestrate: campaign of another config: seed is '"'"'1'"'"' there, '"'"'9'"'"' here ($TRASH/c/config)" >want &&
	test_cmp want err &&
	cmp before.pal c/labeled.pal &&
	pal-orchestrate --quiet --resume c &&
	cmp before.pal c/labeled.pal
'

test_expect_success 'the lock: a second driver is refused, naming the first' '
	{ pal-orchestrate --quiet --config base.conf --set label.delay=20s lk 2>lk.err & pid=$!; } &&
	i=0 && while [ ! -s lk/lock ] || [ ! -e lk/gen-0000/candidates.pal ]; do
		i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done &&
	must_fail 1 pal-orchestrate --resume lk 2>err &&
	echo "pal-orchestrate: campaign is running ($TRASH/lk: locked by pid $pid)" >want &&
	test_cmp want err &&
	i=0 && while ! pgrep -f "pal-label.*$TRASH/lk/" >/dev/null; do
		i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done &&
	kill -9 $pid && { wait $pid; true; } &&
	i=0 && while pgrep -f "pal-label.*$TRASH/lk/" >/dev/null; do
		i=$((i + 1)); [ $i -lt 50 ] || { echo "pal-label outlived the driver"; exit 1; }
		sleep 0.1; done &&
	test ! -e lk/gen-0000/labeled.pal
'

test_expect_success 'SIGTERM: the driver and its stage die, --resume finishes' '
	{ pal-orchestrate --quiet --config base.conf --set label.delay=20s tm 2>tm.err & pid=$!; } &&
	i=0 && while ! pgrep -f "pal-label.*$TRASH/tm/" >/dev/null; do
		i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done &&
	kill -TERM $pid && { wait $pid; rc=$?; } && test $rc -eq 143 &&
	! pgrep -f "pal-label.*$TRASH/tm/" &&
	test ! -e tm/gen-0000/labeled.pal
'

test_expect_success 'a stage left running in the campaign is killed when the lock is taken' '
	pal-gen --n 4 --dim 2 -o tm/stray.pal &&
	{ pal-label --exec "sleep 30" -i "$TRASH/tm/stray.pal" -o "$TRASH/tm/stray-out.pal" & stray=$!; } &&
	sleep 0.3 &&
	must_fail 2 pal-orchestrate --quiet --resume --seed 9 tm 2>err &&
	echo "pal-orchestrate: killing pid $stray (pal-label), a stage left running in $TRASH/tm" >want &&
	head -1 err >err1 && test_cmp want err1 &&
	{ wait $stray; rc=$?; } && test $rc -eq 137
'

cat >launch <<'EOF'
#!/bin/sh
# A launcher that fails until the file "ok" is there.
np=$1; shift
[ -e ok ] || { echo "launch: not yet ($np processes)" >&2; exit 3; }
exec "$@"
EOF
chmod +x launch

test_expect_success 'a failing stage stops the campaign with its log; --resume goes on' '
	must_fail 1 pal-orchestrate --quiet --config base.conf --set label.np=2 \
		--set "label.launcher=./launch {np}" f 2>err &&
	cat >want <<-EOF &&
	pal-orchestrate: label failed (generation 0: exit status 3; $TRASH/f/logs/label-g0000.err); the campaign stops, resumable with --resume; the end of its log:
	launch: not yet (2 processes)
	EOF
	test_cmp want err &&
	test ! -s f/labeled.pal &&
	touch ok &&
	pal-orchestrate --quiet --resume f &&
	test_grep "^stop=budget$" f/state &&
	test "$(pal-cat --columns id --to csv f/labeled.pal | sed 1d | sort -u | wc -l)" -eq 12
'

cat >flaky <<'EOF'
#!/bin/sh
# Fails for row 3 until the file "fixed" is there.
[ "$PAL_ID" = 3 ] && [ ! -e "$FIXED" ] && exit 1
exec awk '{ print $1 + $2 }'
EOF
chmod +x flaky

test_expect_success 'label.on_fail=abort stops the campaign; label.retry_failed=yes on resume runs the row again' '
	export FIXED=$TRASH/fixed &&
	must_fail 1 pal-orchestrate --quiet --config base.conf --set label.builtin= \
		--set label.exec=$TRASH/flaky --set label.on_fail=abort rf 2>err &&
	test_grep "^pal-orchestrate: label failed (generation 0: exit status 1;" err &&
	touch fixed &&
	must_fail 1 pal-orchestrate --quiet --resume rf 2>err &&
	test_grep "^pal-orchestrate: label failed (generation 0: exit status 1;" err &&
	pal-orchestrate --quiet --resume --set label.retry_failed=yes rf &&
	test_grep "^stop=budget$" rf/state &&
	test_grep "^label.retry_failed = yes$" rf/config &&
	test "$(pal-cat --columns status --to csv rf/labeled.pal | sed 1d | sort -u)" = 0
'

cat >scratchy <<'EOF'
#!/bin/sh
# Writes its input to a file in its scratch directory, and reads it back.
pwd >>"$DIRS"
cat >x.txt && exec awk '{ print $1 + $2 }' x.txt
EOF
chmod +x scratchy

test_expect_success 'label.workdir: each oracle call in a scratch directory in DIR' '
	export DIRS=$TRASH/dirs &&
	pal-orchestrate --quiet --config base.conf --set label.builtin= \
		--set label.exec=$TRASH/scratchy --set label.workdir=scratch \
		--set label.keep_workdir=yes wd &&
	test "$(wc -l <dirs)" -eq 12 &&
	test "$(grep -c "^$TRASH/wd/scratch/row[0-9]*-r0-" dirs)" -eq 12 &&
	test "$(ls wd/scratch | wc -l)" -eq 12 &&
	for d in $(cat dirs); do test -s "$d/x.txt" || exit 1; done
'

test_expect_success 'examples/external-oracle runs (at 28 labels); its y are Branin'"'"'s' '
	"$TOP/examples/external-oracle/run" ext --quiet --budget 28 &&
	test_grep "^stop=budget$" ext/state &&
	test_grep "^label.exec = $TOP/examples/external-oracle/simulate$" ext/config &&
	pal-label --builtin branin -i ext/labeled.pal -o b.pal &&
	pal-cat --columns y --to csv ext/labeled.pal >y1 &&
	pal-cat --columns y --to csv b.pal | paste -d, y1 - |
	awk -F, "NR > 1 { d = \$1 - \$2; if (d < -1e-9 || d > 1e-9) exit 1; n++ } END { exit n != 28 }"
'

test_expect_success 'the trust band goes to pal-select; with every candidate above it the campaign stops, nothing selected' '
	pal-orchestrate --quiet --config base.conf --set select.trust_hi=1e-12 tb &&
	grep -q "^stop=nothing_selected$" tb/state &&
	grep -q "^select.trust_hi = 1e-12$" tb/config &&
	pal-cat --info tb/labeled.pal | grep -q "^rows *8$" &&
	pal-orchestrate --dry-run --config base.conf --set select.trust_lo=0.5 \
		--set select.trust_hi=2 tb2 >cmds &&
	test ! -e tb2 &&
	must_fail 2 pal-orchestrate --config base.conf --set select.trust_lo=x tb3 2>err &&
	grep -q "select.trust_lo" err && test ! -e tb3
'

test_expect_success 'without mpirun the stages run directly, with a warning' '
	mkdir empty &&
	PATH=$TRASH/empty "$TOP/bin/pal-orchestrate" --config base.conf \
		--set label.np=2 --set train.np=2 nm 2>err &&
	test_grep "^pal-orchestrate: mpirun not found: running the stages directly, one process each$" err &&
	test "$(grep -c "mpirun not found" err)" -eq 1 &&
	test_grep "^stop=budget$" nm/state
'

test_done
