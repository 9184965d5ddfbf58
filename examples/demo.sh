#!/bin/sh
# demo.sh: what make demo runs.  A small end-to-end run of what pal has
# today: CSV in, a checked and compressed stream, a summary, CSV out.  The
# campaign demo (generate, select, label, train, predict in a loop) comes
# with pal-orchestrate.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP/bin:$PATH
out=$TOP/build/demo
rm -rf "$out"
mkdir -p "$out"
cd "$out"

echo "== a CSV of 1000 points on a circle"
awk 'BEGIN { print "x.0,x.1,y";
	for (i = 0; i < 1000; i++) { t = 6.283185307179586 * i / 1000;
		printf "%.17g,%.17g,%.17g\n", cos(t), sin(t), t } }' >circle.csv
pal-cat --from csv circle.csv --compress -o circle.pal
pal-cat --verify circle.pal
echo "== its stream, circle.pal ($(wc -c <circle.pal) bytes, compressed)"
pal-cat --info circle.pal
echo "== the first rows, back as CSV"
pal-cat --head 3 --to csv circle.pal
pal-cat --columns x,y --to csv circle.pal | tail -n +2 >back.csv
awk -F, '{ printf "%.17g,%.17g,%.17g\n", $1, $2, $3 }' back.csv >back17.csv
tail -n +2 circle.csv | cmp -s - back17.csv
echo "== the round trip through the compressed stream is exact"
echo
echo "Files are in $out."
