#!/bin/sh
# Slurm for real: a one-node Slurm from Debian's packages (slurmctld, slurmd,
# munge), brought up on localhost by tests/slurm/up.sh in a directory of
# its own; then srun -n 2 pal-label, and an sbatch job that runs mpirun -n 2
# pal-label and srun --mpi=pmix -n 2 pal-train (and mpi-comm) inside its
# allocation, each checked against a run without Slurm; a campaign whose
# stages launch with srun; examples/slurm's batch script submitted, then
# submitted again (it resumes, labels nothing more), and a job of it
# cancelled mid-campaign then submitted again (the same labels and models
# as the job that was not); then tests/slurm/down.sh.  Every wait is
# bounded.  Needs root (slurmd starts a job as its user); without
# slurm-wlm and munge it is skipped, unless CI=true (tools/install-deps
# slurm installs them).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	test_skip 'a one-node Slurm' 'needs root (slurmd runs jobs as their user)'
	test_done
fi
PATH=$PATH:/usr/sbin:/sbin
missing=
for prog in slurmctld slurmd srun sbatch scontrol sinfo munged mungekey; do
	command -v $prog >/dev/null 2>&1 || missing="$missing $prog"
done
if [ -n "$missing" ]; then
	if [ "${CI-}" = true ]; then
		test_expect_success 'slurm-wlm and munge are installed' "
			echo 'no$missing (tools/install-deps slurm)'; false"
	else
		test_skip 'a one-node Slurm' "no$missing (tools/install-deps slurm)"
	fi
	test_done
fi
need_mpirun 'a one-node Slurm'

# The cluster's directory: short, for munge's socket path.
CLUSTER=$(mktemp -d "${TMPDIR:-/tmp}/pal-slurm.XXXXXX") || exit 1
SLURM_CONF=$CLUSTER/slurm.conf
SLURM_PORT=${SLURM_PORT:-$((20000 + ($$ % 10000) * 2))}
export SLURM_CONF SLURM_PORT
trap '"$TESTS/slurm/down.sh" "$CLUSTER" >/dev/null 2>&1; rm -rf "$CLUSTER"' EXIT

# wait_job ID SECONDS: wait up to SECONDS for job ID to end and print its
# final state; cancel it if it does not.
wait_job() {
	i=0
	while :; do
		state=$(scontrol -o show job "$1" 2>/dev/null |
			sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
		case $state in
		COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | \
		OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
			echo "$state"
			return 0 ;;
		esac
		i=$((i + 1))
		if [ $i -gt $(($2 * 5)) ]; then
			scancel "$1"
			echo "job $1 still $state after $2 s: cancelled" >&2
			return 1
		fi
		sleep 0.2
	done
}

# rows FILE: id, x, y and status of a stream as sorted CSV.
rows() { pal-cat --columns id,x,y,status --to csv "$1" | sort; }
# ranks_label DIR: how many ranks labeled the rows of campaign DIR
# (events.tsv's label lines, column 4).
ranks_label() {
	awk -F '\t' '$3 == "label" { print $4 }' "$1/events.tsv" | sort -u | wc -l
}
# ranks FILE: how many ranks labeled the rows of FILE.
ranks() { pal-cat --columns rank --to csv "$1" | sed 1d | sort -u | wc -l; }

pal-gen --method sobol --n 200 --bounds -5:10,0:15 -o cand.pal
pal-label --builtin branin -i cand.pal -o serial.pal
train='--members 4 --epochs 10 --layers 16 --quiet'

test_expect_success 'up.sh brings up slurmctld, slurmd and munged' '
	t0=$(date +%s%N) &&
	timeout 60 "$TESTS/slurm/up.sh" "$CLUSTER" &&
	t1=$(date +%s%N) &&
	echo $(( (t1 - t0) / 1000000 )) >up-ms &&
	timeout 10 sinfo -h -N -o "%N %t" >nodes &&
	echo "localhost idle" >want && test_cmp want nodes
'
[ -s up-ms ] && echo "# bring-up took $(cat up-ms) ms"

test_expect_success 'srun -n 2 pal-label: one job of 2 ranks, the serial rows' '
	timeout 120 srun -n 2 pal-label --builtin branin --delay 2ms \
		-i cand.pal -o srun.pal </dev/null &&
	rows serial.pal >want && rows srun.pal >got && test_cmp want got &&
	test "$(ranks srun.pal)" -eq 2
'

cat >job.sh <<'EOF'
#!/bin/sh
#SBATCH --ntasks=2
#SBATCH --time=5
#SBATCH --output=job.out
# mpirun and srun --mpi=pmix inside the allocation.
set -eu
timeout 120 mpirun -n 2 pal-label --builtin branin --delay 2ms \
	-i cand.pal -o mpirun.pal </dev/null
timeout 120 srun --mpi=pmix -n 2 mpi-comm </dev/null >comm.out
timeout 120 srun --mpi=pmix -n 2 pal-train $train -i mpirun.pal \
	-o model.pal </dev/null
echo "job done"
EOF

test_expect_success 'sbatch: mpirun and srun --mpi=pmix inside the allocation' '
	export train &&
	id=$(timeout 30 sbatch --parsable job.sh) &&
	state=$(wait_job "$id" 300) &&
	cat job.out &&
	test "$state" = COMPLETED &&
	test_grep "^job done\$" job.out &&
	rows serial.pal >want && rows mpirun.pal >got && test_cmp want got &&
	test "$(ranks mpirun.pal)" -eq 2 &&
	! grep "^not ok" comm.out &&
	test "$(grep -c "^ok .* (2 ranks)\$" comm.out)" -eq 9 &&
	pal-train $train -i mpirun.pal -o serial-model.pal &&
	cmp serial-model.pal model.pal
'

cat >campaign.conf <<'EOF'
budget = 28
initial = 16
batch = 4
candidates = 200
bounds = -5:10,0:15
[label]
builtin = branin
np = 2
[train]
members = 2
layers = 8
epochs = 50
np = 2
EOF

test_expect_success 'a campaign whose label and train stages launch with srun: the bytes of mpirun' '
	timeout 300 pal-orchestrate --quiet --config campaign.conf \
		--set "label.launcher=srun -n {np}" \
		--set "train.launcher=srun --mpi=pmix -n {np}" srun-run </dev/null &&
	grep -q "^stop=budget$" srun-run/state &&
	grep -q "^label.launcher = srun -n {np}$" srun-run/config &&
	timeout 300 pal-orchestrate --quiet --config campaign.conf mpirun-run </dev/null &&
	cmp mpirun-run/labeled.pal srun-run/labeled.pal &&
	for m in mpirun-run/models/*.pal; do
		cmp "$m" "srun-run/models/${m##*/}" || exit 1
	done &&
	test "$(ranks_label srun-run)" -eq 2
'

# examples/slurm: the batch script a user submits, at a small size (28
# labels, 2 ranks per stage: sbatch --ntasks=2 over its #SBATCH line),
# from a directory that holds it and its config, as a user would.
mkdir ex
cp "$TOP/examples/slurm/campaign.sbatch" "$TOP/examples/slurm/campaign.conf" ex/
ex_opts='--quiet --budget 28 --set candidates=200 --set label.np=2 --set train.np=2 --set train.epochs=50'
# ex_submit: sbatch the example in ex/ (PAL_CAMPAIGN from the caller),
# wait for its job (bounded) and print its final state; its output is
# ex/pal-campaign-ID.out, the id in ex/last-id.
ex_submit() {
	(cd ex && timeout 30 sbatch --parsable --ntasks=2 campaign.sbatch \
		$ex_opts >last-id) &&
	wait_job "$(cat ex/last-id)" 300
}
# label_lines DIR: the oracle calls that events.tsv records.
label_lines() { awk -F '\t' '$3 == "label"' "$1/events.tsv" | wc -l; }

test_expect_success 'examples/slurm: sbatch campaign.sbatch runs the campaign to its budget' '
	state=$(ex_submit) &&
	out=ex/pal-campaign-$(cat ex/last-id).out &&
	cat "$out" &&
	test "$state" = COMPLETED &&
	test_grep "^starting the campaign in campaign\$" "$out" &&
	grep -q "^stop=budget\$" ex/campaign/state &&
	grep -q "^label.launcher = srun --mpi=pmix -n {np}\$" ex/campaign/config &&
	test "$(pal-cat --columns id --to csv ex/campaign/labeled.pal | sed 1d |
		sort -u | wc -l)" -eq 28 &&
	test "$(label_lines ex/campaign)" -eq 28 &&
	test "$(ranks_label ex/campaign)" -eq 2
'

test_expect_success 'examples/slurm: submitted again, it resumes and labels nothing more' '
	cp ex/campaign/labeled.pal before.pal &&
	ls ex/campaign/models >models-before &&
	state=$(ex_submit) &&
	out=ex/pal-campaign-$(cat ex/last-id).out &&
	cat "$out" &&
	test "$state" = COMPLETED &&
	test_grep "^resuming the campaign in campaign\$" "$out" &&
	cmp before.pal ex/campaign/labeled.pal &&
	ls ex/campaign/models >models-after &&
	test_cmp models-before models-after &&
	test "$(label_lines ex/campaign)" -eq 28
'

test_expect_success 'examples/slurm: a job cancelled mid-campaign (as when its time runs out), submitted again, ends with the same labels and models' '
	(cd ex && PAL_CAMPAIGN=cut timeout 30 sbatch --parsable --ntasks=2 \
		campaign.sbatch $ex_opts >last-id) &&
	id=$(cat ex/last-id) &&
	i=0 &&
	until test -d ex/cut/gen-0001; do
		i=$((i + 1)) &&
		if test $i -gt 600; then
			echo "no generation 1 after 120 s"; scancel "$id"; exit 1
		fi &&
		sleep 0.2
	done &&
	scancel "$id" &&
	state=$(wait_job "$id" 60) &&
	test "$state" = CANCELLED &&
	! grep -q "^stop=budget\$" ex/cut/state &&
	state=$(PAL_CAMPAIGN=cut ex_submit) &&
	cat "ex/pal-campaign-$(cat ex/last-id).out" &&
	test "$state" = COMPLETED &&
	test_grep "^resuming the campaign in cut\$" \
		"ex/pal-campaign-$(cat ex/last-id).out" &&
	grep -q "^stop=budget\$" ex/cut/state &&
	cmp ex/campaign/labeled.pal ex/cut/labeled.pal &&
	for m in ex/campaign/models/*.pal; do
		cmp "$m" "ex/cut/models/${m##*/}" || exit 1
	done
'

test_expect_success 'down.sh stops every daemon it started' '
	for f in slurmd.pid slurmctld.pid munge/munged.pid; do
		cat "$CLUSTER/$f" || exit 1
	done >pids &&
	timeout 60 "$TESTS/slurm/down.sh" "$CLUSTER" &&
	while read -r pid; do
		! test -d /proc/$pid || { echo "$pid still runs"; exit 1; }
	done <pids
'

test_done
