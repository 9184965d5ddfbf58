#!/bin/sh
# pal-orchestrate with walkers (gen.walk = langevin): the candidates of a
# generation are the steps of overdamped Langevin walkers on the last
# model's forces (pal-predict --grad, pal-gen --walk), going on from where
# the last generation's walkers ended; --dry-run's commands, run by hand,
# make the same files; killed mid-walk and resumed, the same campaign;
# examples/mueller-brown runs.
. "$(dirname "$0")/lib.sh"

cat >mb.conf <<'EOF2'
budget = 36
initial = 20
batch = 8
candidates = 16
seed = 2
bounds = -1.5:1.2,-0.2:2.0
[gen]
walk = langevin
steps = 5
dt = 0.0002
temperature = 5
[label]
builtin = mueller-brown
[train]
members = 3
layers = 16,16
epochs = 100
EOF2

test_expect_success 'a campaign of walkers runs to its budget' '
	pal-orchestrate --quiet --config mb.conf w &&
	test_grep "^stop=budget$" w/state &&
	test "$(pal-cat --columns id --to csv w/labeled.pal | sed 1d | sort -u | wc -l)" -eq 36
'

test_expect_success 'the candidates are the walkers'"'"' steps, and generation 2 goes on from 1' '
	for g in 1 2; do
		pal-cat --columns id,walker,step --to csv w/gen-000$g/candidates.pal |
		sed 1d | sort -t, -k1,1n >c$g || exit 1
	done &&
	test "$(wc -l <c1)" -eq 80 &&
	test "$(head -1 c1 | cut -d, -f1)" -eq 36 &&
	test "$(head -1 c2 | cut -d, -f1)" -eq 132 &&
	test "$(cut -d, -f3 c1 | sort -n | uniq | tr "\n" " ")" = "1 2 3 4 5 " &&
	test "$(cut -d, -f3 c2 | sort -n | uniq | tr "\n" " ")" = "6 7 8 9 10 " &&
	test "$(cut -d, -f2 c1 | sort -u | tr "\n" " ")" = "$(cut -d, -f2 c2 | sort -u | tr "\n" " ")" &&
	cmp w/gen-0001/walk-005.pal w/gen-0002/walk-000.pal
'

test_expect_success 'a step is pal-gen --walk on pal-predict --grad of the last model' '
	pal-predict --grad --model w/models/gen-0001.pal -i w/gen-0002/walk-002.pal -o p.pal &&
	cmp p.pal w/gen-0002/walk-002-pred.pal &&
	pal-gen --walk langevin --dt 0.0002 --temperature 5 --bounds -1.5:1.2,-0.2:2.0 \
		--seed $((2 + 100003 * 2 + 3)) --start-id $((20 + 16 * 6 + 3 * 16)) -i p.pal -o s.pal &&
	cmp s.pal w/gen-0002/walk-003.pal
'

test_expect_success '--dry-run of a walking generation, run by hand: the same files' '
	pal-orchestrate --quiet --config mb.conf --budget 28 d1 &&
	cp -a d1 d2 &&
	pal-orchestrate --dry-run --budget 36 d2 >cmds &&
	test "$(grep -c "pal-gen --quiet --walk langevin" cmds)" -eq 5 &&
	test "$(grep -c "pal-predict --quiet --grad" cmds)" -eq 5 &&
	sh -e cmds &&
	pal-orchestrate --quiet --resume --budget 36 d1 &&
	cmp d1/gen-0002/candidates.pal d2/gen-0002/candidates.pal &&
	cmp d1/labeled.pal d2/labeled.pal &&
	cmp d1/models/gen-0002.pal d2/models/gen-0002.pal &&
	cmp d1/labeled.pal w/labeled.pal
'

test_expect_success 'killed mid-walk, resumed: the same campaign' '
	{ pal-orchestrate --quiet --config mb.conf k & pid=$!; } &&
	i=0 && while [ ! -e k/gen-0002/walk-003.pal ] && kill -0 $pid 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 3000 ] || exit 1; sleep 0.01; done &&
	kill -9 $pid; wait $pid
	pal-orchestrate --quiet --resume k &&
	cmp w/labeled.pal k/labeled.pal &&
	cmp w/models/gen-0002.pal k/models/gen-0002.pal
'

test_expect_success 'energies and forces: label.grad and train.grad_weight' '
	pal-orchestrate --quiet --config mb.conf --budget 28 --set label.grad=yes \
		--set train.grad_weight=1 f &&
	pal-cat --info f/labeled.pal >info &&
	test_grep "^grad  *f64  *2 " info &&
	pal-cat --info f/models/gen-0001.pal >minfo &&
	test_grep "grad_weight.*1" minfo
'

test_expect_success 'examples/mueller-brown runs (at 36 labels)' '
	pal-orchestrate --quiet --config "$TOP/examples/mueller-brown/mb.conf" \
		--budget 36 --set gen.steps=3 --set train.epochs=50 ex &&
	test "$(tail -1 ex/metrics.tsv | cut -f1,2)" = "$(printf "2\t36")" &&
	test -e ex/gen-0002/walk-003.pal
'

test_expect_success 'gen.walk needs gen.dt' '
	must_fail 2 pal-orchestrate --config mb.conf --set gen.dt= bad 2>err &&
	echo "pal-orchestrate: gen.walk needs gen.dt" >want && test_cmp want err
'

test_done
