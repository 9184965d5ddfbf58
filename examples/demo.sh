#!/bin/sh
# demo.sh: what make demo runs.  The toy campaign of examples/toy, run by
# pal-orchestrate (its oracle on two MPI ranks when mpirun is there), and
# the same campaign with random selection as a baseline; then a learning
# curve, each generation's model measured on 1024 rows that no campaign
# labeled, and the path of the HTML report.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP/bin:$PATH
out=$TOP/build/demo
rm -rf "$out"
mkdir -p "$out"
cd "$out"

np=1
command -v mpirun >/dev/null 2>&1 && np=2
conf=$TOP/examples/toy/toy.conf

echo "== the toy campaign: Branin's function learned by a committee of MLPs,"
echo "== the most uncertain of 500 candidates labeled each generation"
echo "== (and then the same campaign, its batches chosen at random: the baseline)"
pal-orchestrate --config "$conf" --set label.np=$np --set baseline=yes campaign

# The error of each generation's model on rows no campaign saw.
pal-gen --method sobol --n 1024 --bounds -5:10,0:15 --skip 1 --start-id 1000000000 |
	pal-label --builtin branin -o test.pal
test_rmse() {
	pal-predict --model "$1" -i test.pal |
	pal-cat --columns y,mean --to csv |
	awk -F, 'NR > 1 { s += ($1 - $2)^2; n++ } END { printf "%.4f\n", sqrt(s / n) }'
}
for m in campaign/models/gen-*.pal; do
	g=${m##*/}
	printf '%s\t%s\n' "$(test_rmse "$m")" "$(test_rmse "campaign/baseline/models/$g")"
done >test.tsv

echo
echo "The learning curve (test: RMSE on 1024 rows no campaign labeled;"
echo "prospective: the last model on the rows chosen, before training on them):"
sed 1d campaign/metrics.tsv | paste - test.tsv |
awk -F'\t' '
BEGIN {
	printf "%4s %7s %10s %10s %10s %10s %12s\n", "gen", "labels",
		"val_rmse", "prosp_rmse", "mean_std", "test_rmse", "test_random"
}
{ printf "%4d %7d %10.4f %10s %10s %10.4f %12.4f\n", $1, $2, $6,
	$8 == "nan" ? "-" : sprintf("%.4f", $8),
	$7 == "nan" ? "-" : sprintf("%.4f", $7), $(NF - 1), $NF }'

echo
echo "Files are in $out/campaign:"
echo "  report.html      the report: learning curves (the baseline dashed),"
echo "                   calibration, the workers' timeline (open it in a browser)"
echo "  metrics.tsv      the table above, and more; events.tsv: every task"
echo "  gen-NNNN/        each generation's streams, to rerun a stage by hand;"
echo "                   pal-orchestrate --dry-run campaign prints the commands"
echo "$out/campaign/report.html"
