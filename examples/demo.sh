#!/bin/sh
# demo.sh: what make demo runs.  A small run of the stages pal has today,
# composed by the shell: Langevin walkers on the Mueller-Brown potential
# energy surface, with energies and forces from the oracle farmed out over
# two MPI ranks, and a journal so that a rerun repeats no oracle call.
#
# The active-learning campaign (a surrogate model trained and queried in
# the loop, pal-orchestrate and its HTML report) comes with pal-train,
# pal-predict and pal-orchestrate.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP/bin:$PATH
out=$TOP/build/demo
rm -rf "$out"
mkdir -p "$out"
cd "$out"

# mpirun refuses root without these, and wants --oversubscribe past the
# number of cores.
if [ "$(id -u)" = 0 ]; then
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
fi
label() { mpirun -n 2 --oversubscribe pal-label --builtin mueller-brown --grad "$@"; }

steps=${DEMO_STEPS:-40}
echo "== 32 walkers started on a Sobol design of the domain"
pal-gen --method sobol --n 32 --bounds -1.5:1.2,-0.2:2.0 --skip 1 -o gen0.pal
label --journal step0.journal -i gen0.pal -o step0.pal
pal-cat --info step0.pal | sed -n '/^y /p'

echo "== $steps overdamped Langevin steps on the oracle's forces (kT = 2)"
i=0
while [ $i -lt "$steps" ]; do
	j=$((i + 1))
	pal-gen --walk langevin --dt 0.0002 --temperature 2 --bounds -1.5:1.2,-0.2:2.0 \
		--start-id $((1000 * j)) <step$i.pal >gen$j.pal
	label --journal step$j.journal -i gen$j.pal -o step$j.pal
	i=$j
done
pal-cat --info step$steps.pal | sed -n '/^y /p'

echo "== where the walkers ended: the three minima are -146.70, -108.17, -80.77"
pal-cat --columns walker,x,y --to csv step$steps.pal | sort -t, -k4 -g | head -8

echo "== the whole trajectory"
pal-cat step*.pal -o trajectory.pal
pal-cat --info trajectory.pal | head -3
pal-cat --columns walker,step,x,y --to csv step[1-9]*.pal | sort -t, -k1,1n -k2,2n >trajectory.csv

# A picture of the walkers' paths over the domain, darker as they go on.
awk -F, -v steps="$steps" '
BEGIN {
	x0 = -1.5; x1 = 1.2; y0 = -0.2; y1 = 2.0; W = 540; H = 440
	print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" W "\" height=\"" H "\">"
	print "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
	print "<text x=\"10\" y=\"20\" font-family=\"sans-serif\" font-size=\"14\">" \
		"Langevin walkers on the Mueller-Brown surface (pal demo)</text>"
	split("-0.558 1.442 0.623 0.028 -0.050 0.467", m, " ")
	for (i = 1; i <= 6; i += 2)
		printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"9\" fill=\"none\" stroke=\"red\"/>\n",
			(m[i] - x0) / (x1 - x0) * W, H - (m[i + 1] - y0) / (y1 - y0) * H
}
NR > 1 {
	g = int(200 - 200 * $2 / steps)
	printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\" fill=\"rgb(%d,%d,255)\"/>\n",
		($3 - x0) / (x1 - x0) * W, H - ($4 - y0) / (y1 - y0) * H, g, g
}
END { print "</svg>" }' trajectory.csv >trajectory.svg

echo
echo "Files are in $out:"
echo "  trajectory.svg   the walkers' paths (open it in a browser; red: the minima)"
echo "  trajectory.csv   every step of every walker"
echo "  stepN.pal        each step's labeled stream, to replay by hand;"
echo "  stepN.journal    its oracle results, so a rerun repeats no call"
