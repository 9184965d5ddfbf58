#!/bin/sh
# bench/al: what active learning buys.  On Branin (2-D) and Hartmann6
# (6-D), pal-orchestrate campaigns that select by uncertainty against the
# same campaigns that select at random, the same model and the same label
# budget, over SEEDS (default 1 2 3 4 5).
#
# Each campaign is one run of pal-orchestrate (batch policy) in a
# directory of its own; the two of a seed share that seed, so their
# initial designs (generation 0) are the same rows.  The model is a
# Gaussian process (train.model = gp, RBF kernel, hyper-parameters by
# maximum likelihood at every generation): at these budgets it learns both
# functions, where a committee of small MLPs learns Branin to an RMSE of
# a few units only (see bench/README).  The rules:
#
#	uncertainty	select.by = std, select.diverse = yes (the batch's
#			most uncertain candidates, kept apart: a GP's std
#			does not change within a batch, so without it the
#			batch's rows crowd into one hole)
#	random		select.by = random (pal-select --by random)
#
# Every generation's model (models/gen-NNNN.pal) predicts a held-out set
# of TEST_N (2000) Sobol points labeled by the same built-in, ids that no
# campaign uses; its RMSE against those labels, per generation, is the
# learning curve.  The figure: the labels the uncertainty campaign needs
# to reach the random campaign's final RMSE (its first generation whose
# model is at least as good), divided by the budget; per seed, then the
# median and range over the seeds (goal: <= 0.5).  A campaign that does
# not reach it counts as the worst (printed "never").  Resolution: one
# batch.  The same ratio is shown at shorter budgets b, from the same
# campaigns (random's RMSE at b labels, the labels uncertainty needs to
# reach it, / b): it grows with the budget.
#
# Standalone: sh bench/al.sh (uses bin/ of its tree).  SEEDS, TEST_N and
# FUNCS (default "branin hartmann6") may be set; MODEL=mlp runs the same
# with a committee of 4 MLPs (16,16, 2000 epochs) in place of the GP;
# KEEP=DIR keeps the campaigns there.  Reports the goal; does not fail on
# a missed one.
set -eu
. "$(dirname "$0")/lib.sh"
SEEDS=${SEEDS:-1 2 3 4 5}
MODEL=${MODEL:-gp}
case $MODEL in
gp | mlp) ;;
*) echo "al: MODEL is gp or mlp, not '$MODEL'" >&2; exit 2 ;;
esac
TEST_N=${TEST_N:-2000}
FUNCS=${FUNCS:-branin hartmann6}
for p in pal-orchestrate pal-gen pal-label pal-predict pal-cat; do
	command -v "$p" >/dev/null ||
		{ echo "al: $p not built (make)" >&2; exit 1; }
done
if [ -n "${KEEP:-}" ]; then
	mkdir -p "$KEEP"
	work=$(cd "$KEEP" && pwd)
	cd "$work"
else
	bench_workdir al
fi

# conf FUNC: the campaign's config for FUNC.
conf() {
	case $1 in
	branin)
		cat <<-'EOF'
		# Branin on its usual box: 10 labels of a Latin hypercube,
		# then 18 generations of 5, each from 1000 candidates.
		budget = 100
		initial = 10
		batch = 5
		candidates = 1000
		bounds = -5:10,0:15
		EOF
		;;
	hartmann6)
		cat <<-'EOF'
		# Hartmann6 on [0,1]^6: 20 labels of a Latin hypercube, then
		# 13 generations of 10, each from 2000 candidates.
		budget = 150
		initial = 20
		batch = 10
		candidates = 2000
		bounds = 0:1
		dim = 6
		EOF
		;;
	esac
	cat <<-EOF
	[label]
	builtin = $1
	[train]
	EOF
	case $MODEL in
	gp)
		cat <<-'EOF'
		model = gp
		kernel = rbf
		# no held-out rows in training: a GP takes no --val-frac
		val_frac =
		EOF
		;;
	mlp)
		cat <<-'EOF'
		model = mlp
		members = 4
		layers = 16,16
		epochs = 2000
		EOF
		;;
	esac
}

# checkpoints FUNC: the budgets at which the ratio is also shown, on the
# grid of the campaign's label counts; the last is the budget.
checkpoints() {
	case $1 in
	branin) echo 40 60 80 100 ;;
	hartmann6) echo 50 100 150 ;;
	esac
}

# curve DIR TEST: a line "labels rmse" per generation of campaign DIR,
# its model's RMSE on the rows of TEST.
curve() {
	sed 1d "$1/metrics.tsv" | while IFS='	' read -r g labels rest; do
		m=$(printf '%s/models/gen-%04d.pal' "$1" "$g")
		r=$(pal-predict --quiet --model "$m" -i "$2" |
			pal-cat --columns y,mean --to csv |
			awk -F, 'NR > 1 { s += ($1 - $2)^2; n++ }
				END { printf "%.6g", sqrt(s / n) }')
		echo "$labels $r"
	done
}

# campaign FUNC SEED RULE: run it into FUNC-SEED-RULE/, its curve into
# FUNC-SEED-RULE.curve.
campaign() {
	d=$1-$2-$3
	case $3 in
	unc) rule='--set select.by=std --set select.diverse=yes' ;;
	random) rule='--set select.by=random' ;;
	esac
	rm -rf "$d"
	# shellcheck disable=SC2086 # $rule is words without blanks
	if ! pal-orchestrate --quiet --config "$1.conf" --seed "$2" $rule \
	    "$d" >"$d.out" 2>&1; then
		cat "$d.out" >&2
		echo "al: the campaign $d failed" >&2
		exit 1
	fi
	curve "$d" "test-$1.pal" >"$d.curve"
}

echo "machine: $(nproc) cores$(uptime | sed 's/.*load average/, load average/')"
case $MODEL in
gp) echo "model: gaussian process (rbf, ML hyper-parameters each" \
	"generation); seeds: $SEEDS" ;;
mlp) echo "model: committee of 4 MLPs (16,16, tanh, 2000 epochs, warm" \
	"started); seeds: $SEEDS" ;;
esac
echo "test set: $TEST_N Sobol points per function, labeled by the built-in," \
	"never in a campaign"
echo
t0=$(date +%s.%N)
for f in $FUNCS; do
	conf "$f" >"$f.conf"
	box=$(sed -n 's/^bounds = //p' "$f.conf")
	dim=$(sed -n 's/^dim = //p' "$f.conf")
	pal-gen --quiet --method sobol --n "$TEST_N" --skip 1 --bounds "$box" \
		${dim:+--dim "$dim"} --start-id 1000000000 |
		pal-label --quiet --builtin "$f" -o "test-$f.pal"
	: >"$f.points"
	for sd in $SEEDS; do
		campaign "$f" "$sd" unc
		campaign "$f" "$sd" random
		# per checkpoint b: seed, b, random's RMSE at b labels,
		# uncertainty's, the labels uncertainty needs to reach
		# random's RMSE at b (0: not within the campaign)
		awk -v s="$sd" -v cps="$(checkpoints "$f")" '
			FNR == 1 { file++ }
			file == 1 { rr[$1] = $2 }
			file == 2 { ul[FNR] = $1; ur[FNR] = $2; un = FNR
				urb[$1] = $2 }
			END {
				n = split(cps, cp, " ")
				for (c = 1; c <= n; c++) {
					b = cp[c]
					need = 0
					for (i = 1; i <= un; i++)
						if (ur[i] <= rr[b]) {
							need = ul[i]
							break
						}
					print s, b, rr[b], urb[b], need
				}
			}' "$f-$sd-random.curve" "$f-$sd-unc.curve" >>"$f.points"
	done
done
t1=$(date +%s.%N)

# median: the median of the numbers on standard input, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m
		}'
}
# show X: a ratio; 99 (below) for never reached in the campaign.
show() {
	awk -v x="$1" 'BEGIN { print ((x >= 99) ? "never" : sprintf("%.2f", x)) }'
}

echo "At the full budget, per seed (needed: the labels uncertainty selection" \
	"needs to reach random selection's final RMSE; ratio = needed / budget):"
printf '%-10s %4s %6s %12s %12s %6s %7s\n' function seed budget \
	rmse_random rmse_unc needed ratio
for f in $FUNCS; do
	budget=$(sed -n 's/^budget = //p' "$f.conf")
	awk -v f="$f" -v b="$budget" '$2 == b {
		r = ($5 > 0) ? sprintf("%.2f", $5 / $2) : "never"
		n = ($5 > 0) ? $5 : "-"
		printf "%-10s %4d %6d %12.4g %12.4g %6s %7s\n", f, $1, $2,
			$3, $4, n, r
	}' "$f.points"
done
echo
echo "The ratio at shorter budgets too (random's RMSE at b labels; the" \
	"labels uncertainty needs to reach it, / b), median and range over" \
	"the seeds, and the median RMSEs at b:"
printf '%-10s %6s %7s %15s %12s %12s\n' function b ratio range \
	rmse_random rmse_unc
for f in $FUNCS; do
	for b in $(checkpoints "$f"); do
		# not reached counts as 99 (shown "never")
		awk -v b="$b" '$2 == b { print (($5 > 0) ? $5 / $2 : 99) }' \
			"$f.points" | sort -g >ratios
		printf '%-10s %6d %7s %15s %12.4g %12.4g\n' "$f" "$b" \
			"$(show "$(median <ratios)")" \
			"$(show "$(head -n 1 ratios)")..$(show "$(tail -n 1 ratios)")" \
			"$(awk -v b="$b" '$2 == b { print $3 }' "$f.points" | median)" \
			"$(awk -v b="$b" '$2 == b { print $4 }' "$f.points" | median)"
	done
done
echo
echo "The figure (goal: <= 0.5), at the full budget:"
for f in $FUNCS; do
	budget=$(sed -n 's/^budget = //p' "$f.conf")
	awk -v b="$budget" '$2 == b { print (($5 > 0) ? $5 / $2 : 99) }' \
		"$f.points" | sort -g >ratios
	m=$(median <ratios)
	verdict="goal met"
	[ "$(awk -v m="$m" 'BEGIN { print (m <= 0.5) }')" = 1 ] ||
		verdict="goal missed"
	printf '  %-10s %s labels: median ratio %s, range %s .. %s (%s)\n' \
		"$f" "$budget" "$(show "$m")" "$(show "$(head -n 1 ratios)")" \
		"$(show "$(tail -n 1 ratios)")" "$verdict"
done
echo "(all campaigns: $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s)"
