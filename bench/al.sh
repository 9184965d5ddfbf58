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
# median and range over the seeds (goal: <= 0.5).  A campaign that never
# reaches it counts as more than 1 (printed ">1").  Resolution: one batch.
#
# Standalone: sh bench/al.sh (uses bin/ of its tree).  SEEDS, TEST_N and
# FUNCS (default "branin hartmann6") may be set; KEEP=DIR keeps the
# campaigns there.  Reports the goal; does not fail on a missed one.
set -eu
. "$(dirname "$0")/lib.sh"
SEEDS=${SEEDS:-1 2 3 4 5}
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
		# then 10 generations of 5, each from 1000 candidates.
		budget = 60
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
	model = gp
	kernel = rbf
	# no held-out rows in training: a GP takes no --val-frac
	val_frac =
	EOF
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
echo "model: gaussian process (rbf, ML hyper-parameters each generation);" \
	"seeds: $SEEDS"
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
	: >"$f.seeds"
	for s in $SEEDS; do
		campaign "$f" "$s" unc
		campaign "$f" "$s" random
		# seed, budget, random's final RMSE, uncertainty's, labels
		# uncertainty needs to reach random's final RMSE (0: never)
		awk -v s="$s" '
			FNR == 1 { file++ }
			file == 1 { rb = $1; rr = $2 }
			file == 2 { ul[FNR] = $1; ur[FNR] = $2; un = FNR }
			END {
				need = 0
				for (i = 1; i <= un; i++)
					if (ur[i] <= rr) { need = ul[i]; break }
				print s, rb, rr, ur[un], need
			}' "$f-$s-random.curve" "$f-$s-unc.curve" >>"$f.seeds"
	done
done
t1=$(date +%s.%N)

printf '%-10s %4s %6s %12s %12s %6s %7s\n' function seed budget \
	rmse_random rmse_unc needed ratio
for f in $FUNCS; do
	awk -v f="$f" '{
		r = ($5 > 0) ? sprintf("%.2f", $5 / $2) : ">1"
		n = ($5 > 0) ? $5 : "-"
		printf "%-10s %4d %6d %12.4g %12.4g %6s %7s\n", f, $1, $2,
			$3, $4, n, r
	}' "$f.seeds"
done
echo
# median: the median of the numbers on standard input, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m
		}'
}
# show X: a ratio, ">1" for one that never reached it (2 below).
show() { awk -v x="$1" 'BEGIN { print ((x > 1) ? ">1" : sprintf("%.2f", x)) }'; }

echo "labels uncertainty selection needs to reach random selection's final" \
	"RMSE, / budget (median over seeds, range; goal <= 0.5):"
for f in $FUNCS; do
	# never reaching it counts as 2 (shown >1)
	awk '{ print ($5 > 0 ? $5 / $2 : 2) }' "$f.seeds" | sort -g >"$f.ratios"
	m=$(median <"$f.ratios")
	verdict="goal met"
	[ "$(awk -v m="$m" 'BEGIN { print m <= 0.5 }')" = 1 ] ||
		verdict="goal missed"
	printf '  %-10s median %s  range %s .. %s  (%s); median final RMSE:' \
		"$f" "$(show "$m")" "$(show "$(head -n 1 "$f.ratios")")" \
		"$(show "$(tail -n 1 "$f.ratios")")" "$verdict"
	printf ' random %.4g, uncertainty %.4g\n' \
		"$(awk '{ print $3 }' "$f.seeds" | median)" \
		"$(awk '{ print $4 }' "$f.seeds" | median)"
done
echo "(all campaigns: $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s)"
