#!/bin/sh
# The stream policy of pal-orchestrate: one pal-label for the whole
# campaign, fed through a FIFO, models trained in the background, the queue
# scored again with each.  A campaign runs to its budget with no row twice,
# every row it labels chosen by a round; killed at every commit point and
# at moments of the clock, then resumed, it still ends with the budget's
# labels, once each, and its oracle (which counts its calls) called no more
# than the labels plus the rows in flight at each kill.  First, what it
# stands on: pal-label reading a FIFO writes rows out as they finish, while
# it waits for more input.
. "$(dirname "$0")/lib.sh"
need_mpirun 'the stream policy'

pal-gen --n 6 --dim 2 --seed 1 | pal-cat --rows 3 -o ab.pal
cat >fifo.py <<'EOF'
import os, select, subprocess, sys, time
os.mkfifo("in.fifo")
os.mkfifo("out.fifo")
cmd = ["pal-label", "--builtin", "toy", "--delay", "100ms", "-j", "3",
       "-i", "in.fifo", "-o", "out.fifo"]
if sys.argv[1] != "1":
    cmd = ["mpirun", "--oversubscribe", "-n", sys.argv[1]] + cmd
lab = subprocess.Popen(cmd)
# pal-label opens its input first, then its output.
w = os.open("in.fifo", os.O_WRONLY)
out = os.open("out.fifo", os.O_RDONLY)
# The frames of ab.pal (pal-stream(5)): two data frames of 3 rows, an end.
ab, frames, at = open("ab.pal", "rb").read(), [], 0
while at < len(ab):
    hl = int.from_bytes(ab[at + 8:at + 12], "little")
    sl = int.from_bytes(ab[at + 32:at + 40], "little")
    n = hl + (sl + 7) // 8 * 8
    frames.append(ab[at:at + n])
    at += n
assert len(frames) == 3 and frames[0][5:6] == b"D" and frames[2][5:6] == b"E"
os.write(w, frames[0])
got, t0 = b"", time.time()


def rows(b):
    # The rows of the complete frames in b (an unended stream).
    open("part.pal", "wb").write(b)
    p = subprocess.run("pal-cat --to csv part.pal 2>/dev/null", shell=True,
                       stdout=subprocess.PIPE)
    return max(0, len(p.stdout.splitlines()) - 1)


# The first three rows come back while the input is still open.
while rows(got) < 3 and time.time() - t0 < 20:
    r, _, _ = select.select([out], [], [], 20)
    if not r:
        break
    got += os.read(out, 65536)
print("%d rows back after %.2f s, input open" % (rows(got), time.time() - t0))
if rows(got) < 3:
    sys.exit("the rows did not come back before the input ended")
os.write(w, frames[1] + frames[2])
os.close(w)
while True:
    b = os.read(out, 65536)
    if not b:
        break
    got += b
open("out.pal", "wb").write(got)
sys.exit(lab.wait())
EOF

for np in 1 2; do
	test_expect_success "pal-label on a FIFO ($np rank(s)): rows out before the input ends" "
		rm -f in.fifo out.fifo &&
		timeout 60 python3 fifo.py $np &&
		pal-cat --columns id --to csv out.pal | sed 1d | sort -n >ids &&
		seq 0 5 >want && test_cmp want ids
	"
done

cat >oracle.sh <<'EOF'
#!/bin/sh
# The toy bowl, counting each call as it starts; while the file
# $FAIL_FLAG exists, the first call that finds $FAIL_AT calls counted
# fails, and writes its id to $FAIL_FLAG.
echo "$PAL_ID" >>"$CALLS"
if [ -n "${FAIL_FLAG-}" ] && [ -e "$FAIL_FLAG" ] &&
   [ "$(wc -l <"$CALLS")" -ge "$FAIL_AT" ] && mkdir "$FAIL_FLAG.once" 2>/dev/null; then
	echo "$PAL_ID" >"$FAIL_FLAG"
	echo "told to fail" >&2
	exit 3
fi
sleep 0.02
exec awk '{ s = 0; for (i = 1; i <= NF; i++) s += ($i - 0.5)^2; print s }'
EOF
chmod +x oracle.sh

cat >s.conf <<EOF
policy = stream
budget = 40
initial = 12
batch = 8
retrain = 6
candidates = 200
seed = 3
dim = 2
[label]
exec = $TRASH/oracle.sh
jobs = 2
[train]
members = 2
layers = 8
epochs = 30
EOF

# Campaign $1 is complete: stopped on its budget, 40 labels once each, an
# event per label, each label after the initial design chosen by a round,
# the FIFOs gone, a model per metrics line.
complete() {
	test_grep "^stop=budget$" "$1/state" &&
	pal-cat --columns id --to csv "$1/labeled.pal" | sed 1d | sort >ids &&
	test "$(wc -l <ids)" -eq 40 &&
	test "$(sort -u ids | wc -l)" -eq 40 &&
	test "$(awk -F"\t" "\$3 == \"label\"" "$1/events.tsv" | cut -f6 | sort -u | wc -l)" -eq 40 &&
	for f in "$1"/stream/round-*/selected.pal; do
		pal-cat --columns id --to csv "$f" | sed 1d; done | sort -u >chosen &&
	awk "\$1 >= 12" ids >late && test "$(wc -l <late)" -eq 28 &&
	test "$(comm -23 late chosen | wc -l)" -eq 0 &&
	! test -e "$1/stream/queue.fifo" && ! test -e "$1/stream/labeled.fifo" &&
	test "$(sed 1d "$1/metrics.tsv" | wc -l)" -eq "$(ls "$1/models" | wc -l)"
}

test_expect_success 'a stream campaign runs to its budget' '
	CALLS=$TRASH/calls.ref pal-orchestrate --config s.conf ref 2>err &&
	complete ref &&
	test "$(wc -l <calls.ref)" -eq 40 &&
	test_grep "stopped (budget)" err &&
	test_grep "^[0-9.]*	[0-9.]*	rescore	" ref/events.tsv &&
	test "$(cut -f1 ref/metrics.tsv | tail -1)" -ge 3 &&
	awk -F"\t" "NR > 2 && \$8 == \"nan\" { exit 1 }" ref/metrics.tsv &&
	test -s ref/report.html &&
	ls ref/stream/train-0001.pal ref/stream/sent.pal ref/stream/label.journal
'

test_expect_success 'a second driver on a running stream is refused' '
	{ CALLS=$TRASH/calls.lock pal-orchestrate --quiet --config s.conf lk & pid=$!; } &&
	wait_lines calls.lock 14 &&
	must_fail 1 pal-orchestrate --resume lk 2>err &&
	test_grep "campaign is running" err &&
	wait $pid && complete lk
'

test_expect_success 'killed at commit points, resumed each time: nothing lost' '
	export CALLS=$TRASH/calls.a &&
	kills=0 && k=1 &&
	{ PAL_TEST_KILL_AT=$k pal-orchestrate --quiet --config s.conf ca 2>>a.err; rc=$?; } &&
	while ! grep -q "^stop=budget$" ca/state 2>/dev/null; do
		test $rc -eq 137 || test $rc -eq 0 || { echo "exit $rc"; cat a.err; exit 1; }
		test $rc -eq 137 && kills=$((kills + 1))
		k=$((k % 9 + 2))
		how=--resume && test -e ca/config || how="--config s.conf"
		{ PAL_TEST_KILL_AT=$k pal-orchestrate --quiet $how ca 2>>a.err; rc=$?; }
		test $kills -lt 300 || exit 1
	done &&
	echo "$kills kills" &&
	test $kills -ge 10 &&
	complete ca &&
	calls=$(wc -l <calls.a) &&
	echo "$calls oracle calls for 40 labels" &&
	test "$calls" -le $((40 + 4 * kills))
'

# Start a run in the background, wait for $2 (a shell condition) and
# kill it with SIGKILL.
kill_when() {
	{ pal-orchestrate --quiet $1 cb 2>>b.err & pid=$!; } &&
	i=0 && while ! eval "$2" && kill -0 $pid 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 1000 ] || return 1; sleep 0.01; done
	kill -9 $pid 2>/dev/null; wait $pid
	true
}

test_expect_success 'killed while labeling and while training, resumed: nothing lost' '
	export CALLS=$TRASH/calls.b &&
	kill_when "--config s.conf" "test \$(cat calls.b | wc -l) -ge 15" &&
	kill_when "--resume" "test -e cb/logs/train-g0001.err" &&
	kill_when "--resume" "test \$(cat calls.b | wc -l) -ge 25" &&
	kill_when "--resume" "test -e cb/logs/train-g0003.err" &&
	kill_when "--resume" "test \$(cat calls.b | wc -l) -ge 36" &&
	pal-orchestrate --quiet --resume cb 2>>b.err &&
	complete cb &&
	calls=$(wc -l <calls.b) &&
	echo "$calls oracle calls for 40 labels" &&
	test "$calls" -le $((40 + 4 * 5))
'

# The RMSE of model $1 on 300 held-out points of the bowl.
heldout_rmse() {
	pal-predict --model "$1" -i held.pal -o hp.pal &&
	pal-cat --columns x,mean --to csv hp.pal | sed 1d |
	awk -F, "{ e = \$3 - ((\$1 - 0.5)^2 + (\$2 - 0.5)^2); s += e * e; n++ }
		END { printf \"%.6g\n\", sqrt(s / n) }"
}

test_expect_success 'two oracle ranks over mpirun, and a GP: the error falls' '
	pal-gen --n 300 --dim 2 --method sobol --seed 5 -o held.pal &&
	grep -v "^members\|^layers\|^epochs" s.conf >gp.conf &&
	CALLS=$TRASH/calls.m pal-orchestrate --quiet --config gp.conf --set label.np=2 --set label.jobs=1 --set train.model=gp --set budget=50 m &&
	test_grep "^stop=budget$" m/state &&
	awk -F"\t" "\$3 == \"label\" { r[\$4]++ } END { exit !(r[0] > 0 && r[1] > 0) }" m/events.tsv &&
	last=$(ls m/models | tail -1) &&
	e0=$(heldout_rmse m/models/gen-0000.pal) &&
	e1=$(heldout_rmse m/models/$last) &&
	echo "held-out RMSE $e0 (model 0, 12 labels) -> $e1 ($last, 50 labels)" &&
	awk "BEGIN { exit !($e1 < 0.5 * $e0) }"
'

test_expect_success 'an oracle that aborts stops the stream, resumable' '
	export CALLS=$TRASH/calls.f FAIL_FLAG=$TRASH/fail FAIL_AT=20 &&
	rm -rf fail fail.once && touch fail &&
	must_fail 1 pal-orchestrate --config s.conf --set label.on_fail=abort f 2>err &&
	test_grep "label failed (the stream: exit status 1; .*logs/label-stream.err); the campaign stops, resumable" err &&
	test_grep "row $(cat fail) (rank 0): exited with status 3: .told to fail." err &&
	rm -r fail fail.once &&
	pal-orchestrate --quiet --resume f &&
	complete f
'

test_expect_success 'failed rows are kept, the stream goes on' '
	export CALLS=$TRASH/calls.g FAIL_FLAG=$TRASH/fail FAIL_AT=20 &&
	rm -rf fail fail.once && touch fail &&
	pal-orchestrate --quiet --config s.conf g &&
	id=$(cat fail) && rm -r fail fail.once &&
	complete g &&
	pal-cat --columns id,status --to csv g/labeled.pal | grep "^$id," >row &&
	echo "$id,1" >want && test_cmp want row
'

test_expect_success 'the temporaries of writes a kill cut short are removed on --resume' '
	cp -a ref tm &&
	r=$(sed -n "s/^round=//p" tm/state) && g=$(sed -n "s/^generation=//p" tm/state) &&
	r=$(printf %04d "$r") && g=$(printf %04d "$g") &&
	echo torn >tm/stream/round-$r/queue.pal.tmp &&
	echo torn >tm/stream/train-$g.pal.tmp &&
	echo torn >tm/stream/sent.pal.tmp &&
	CALLS=$TRASH/calls.tm pal-orchestrate --quiet --resume --budget 46 tm &&
	test_grep "^stop=budget$" tm/state &&
	test "$(find tm -name "*.tmp" | wc -l)" -eq 0
'

test_expect_success '--dry-run shows the stream, as it runs' '
	pal-orchestrate --dry-run --budget 60 ref >out &&
	test_grep "^mkfifo .*/ref/stream/queue.fifo .*/ref/stream/labeled.fifo$" out &&
	test_grep "pal-label --quiet --exec .*--inflight 0 --journal .*/ref/stream/label.journal -i .*/ref/stream/queue.fifo -o .*/ref/stream/labeled.fifo" out &&
	test_grep "pal-predict --quiet --model .*/ref/models/gen-[0-9]*.pal -i .*/round-[0-9]*/candidates.pal" out &&
	test_grep "pal-train --quiet .* --init .*/ref/models/gen-[0-9]*.pal -i .*/ref/stream/train-[0-9]*.pal" out
'

test_done
