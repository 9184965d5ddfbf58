#!/bin/sh
# bench/loop: a whole campaign of the shape of PAL's toy example, its wall
# time and its memory, against PAL's own figures for that example.
#
# The shape: 4-D inputs x in [-1, 1]^4, a committee of 2 small MLPs
# (16,16, tanh, 100 epochs), the oracle y = 0.5 x (4 outputs), retraining
# every 50 labels, 1000 generator steps in all.  As a pal-orchestrate
# campaign (batch policy): an initial design of 50 (Latin hypercube), then
# 10 generations that each generate 95 candidates (50 + 10 x 95 = 1000
# generated), predict them with the last model and label the 50 most
# uncertain (max over the 4 outputs' std); a model is trained after
# every 50 labels, 550 labels in all.  The oracle is an external program,
# as a user's simulation would be: no built-in computes 0.5 x, so it is
# the awk script half.awk below, run by pal-label --exec once per row
# (a shell read loop cannot compute 0.5 x: sh's arithmetic is integers
# only).  Each call is a process started: on this machine that costs
# 10 to 25 ms, which is most of the campaign's time: the table splits
# it, and shows what 550 starts of the oracle by a shell loop take, with
# no pal in the way.  A second run gives the oracle two calls at once
# (label.jobs = 2); a third gives it 50 rows a call (label.chunk = 50,
# pal-label --chunk: one process per 50 rows), as a cheap oracle should be
# called.
#
# Memory: the campaign runs under pal-peakmem (tests/helpers), which
# samples every 10 ms the whole process tree (the driver, its stages, the
# oracle's processes) and keeps the largest sum of Pss (shared pages
# split between the processes that share them: the memory the tree holds)
# and of Rss (shared pages counted once per process); and the largest
# single process, from the kernel (getrusage RUSAGE_CHILDREN ru_maxrss,
# the figure GNU time's %M gives: a maximum per process, not a sum).
#
# The reference: PAL's run of its toy example takes about 20 s and
# 1.2 GiB on this machine kind (PAL's published and measured figures,
# not measured by this script); the goals are a tenth of the time and a
# twentieth of the memory.  Standalone: sh bench/loop.sh (uses bin/ of
# its tree).  RUNS (default 1): the best of RUNS runs of each.
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-1}
for p in pal-orchestrate pal-peakmem pal-cat; do
	command -v "$p" >/dev/null ||
		{ echo "loop: $p not built (make; make bench builds" \
			"pal-peakmem)" >&2; exit 1; }
done
bench_workdir loop

cat >half.awk <<'EOF'
#!/usr/bin/awk -f
# The oracle: y = 0.5 x, a line of 4 numbers in, 4 out.
{ printf "%.17g %.17g %.17g %.17g\n", $1 / 2, $2 / 2, $3 / 2, $4 / 2 }
EOF
chmod +x half.awk
cat >loop.conf <<EOF
budget = 550
initial = 50
batch = 50
candidates = 95
dim = 4
bounds = -1:1
[label]
exec = $work/half.awk
[train]
members = 2
layers = 16,16
epochs = 100
EOF

# run NAME [--set key=value ...]: the campaign into NAME/, best of RUNS;
# its figures into NAME.res: wall_s pss_kb rss_kb single_kb label_s.
run() {
	name=$1
	shift
	: >"$name.all"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rm -rf "$name"
		if ! pal-peakmem -o "$name.mem" pal-orchestrate --quiet \
		    --config loop.conf "$@" "$name" 2>"$name.err"; then
			cat "$name.err" >&2
			echo "loop: the campaign $name failed" >&2
			exit 1
		fi
		check "$name"
		label_s=$(awk -F '\t' 'NR > 1 { s += $5 } END { print s }' \
			"$name/metrics.tsv")
		awk -v l="$label_s" '{ v[$1] = $2 } END {
			print v["wall_s"], v["peak_pss_kb"], v["peak_rss_kb"],
				v["max_single_rss_kb"], l }' "$name.mem" >>"$name.all"
		i=$((i + 1))
	done
	sort -g "$name.all" | head -n 1 >"$name.res"
}

# check DIR: the campaign did what it says: 550 labels of distinct ids,
# none failed, each y = 0.5 x exactly; 1000 candidates generated.
check() {
	pal-cat --columns id,x,y,status --to csv "$1/labeled.pal" | awk -F, '
		NR > 1 {
			n++
			if (seen[$1]++) dup++
			if ($10 != 0) failed++
			for (j = 2; j <= 5; j++)
				if ($(j + 4) != $j / 2) wrong++
		}
		END {
			if (n != 550 || dup || failed || wrong) {
				printf "loop: %d labels, %d ids twice, %d failed, " \
					"%d y not 0.5 x\n", n, dup, failed, wrong
				exit 1
			}
		}' >&2
	gen=0
	for c in "$1"/gen-*/candidates.pal; do
		gen=$((gen + $(pal-cat --columns id --to csv "$c" | sed 1d | wc -l)))
	done
	[ "$gen" -eq 1000 ] ||
		{ echo "loop: $gen candidates generated, not 1000" >&2; exit 1; }
}

echo "machine: $(nproc) cores$(uptime | sed 's/.*load average/, load average/')"
echo "campaign: 4-D, committee of 2 MLPs (16,16), oracle 0.5 x by an awk" \
	"script per row, retrain every 50 labels, 1000 candidates, 550 labels;" \
	"best of $RUNS"
run seq
run jobs2 --set label.jobs=2
run chunk50 --set label.chunk=50

# The baseline of the oracle's cost: the same 550 rows through half.awk,
# one process each, started by a shell loop (no pal): what starting 550
# processes costs on this machine.
pal-cat --columns x --to tsv seq/labeled.pal | sed 1d >x.tsv
t0=$(date +%s.%N)
while read -r line; do
	echo "$line" | "$work/half.awk" >/dev/null
done <x.tsv
t1=$(date +%s.%N)
starts_s=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')

ref_s=20
ref_kb=$((1200 * 1024))
printf '\n%-24s %7s %7s %9s %9s %9s %9s %7s %7s\n' run wall_s label_s \
	"rest_s" pss_MiB rss_MiB single_MiB t/PAL mem/PAL
for n in seq jobs2 chunk50; do
	read -r w pss rss single label <"$n.res"
	case $n in
	seq) what="oracle one at a time" ;;
	jobs2) what="label.jobs = 2" ;;
	chunk50) what="label.chunk = 50" ;;
	esac
	awk -v n="$what" -v w="$w" -v p="$pss" -v r="$rss" -v s="$single" \
	    -v l="$label" -v rs="$ref_s" -v rk="$ref_kb" 'BEGIN {
		printf "%-24s %7.2f %7.2f %9.2f %9.1f %9.1f %9.1f %7.3f %7.4f\n",
			n, w, l, w - l, p / 1024, r / 1024, s / 1024,
			w / rs, p / rk
	}'
done
printf '%-24s %7s %7s\n' "550 oracle starts by sh" "$starts_s" "$starts_s"
echo
echo "label_s: the labeling of every generation (metrics.tsv), a process"
echo "started per row; rest_s: everything else (53 runs of pal-gen,"
echo "pal-predict, pal-select, pal-cat and pal-train, and the driver).  The"
echo "last line: the same 550 rows through the oracle by a shell loop, one"
echo "process each, without pal: the cost of the process starts alone."
echo "pss, rss: the largest sampled sum over the process tree; single: the"
echo "largest one process."
echo "t/PAL, mem/PAL: against PAL's toy example, about ${ref_s} s and 1.2 GiB"
echo "on this machine kind: PAL's figures, NOT measured in this run (goals:"
echo "<= 0.1 and <= 0.05)."
