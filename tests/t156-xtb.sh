#!/bin/sh
# examples/xtb: a real simulation code as the oracle.  Debian's xtb
# (GFN2-xTB) labels water geometries with energies and gradients through
# examples/xtb/xtb-oracle (pal-label --exec --grad); checked against xtb
# run directly here: the energy at the equilibrium geometry, and the grad
# column against central differences of xtb's energies.  A campaign of 36
# labels, one of whose geometries is broken (every atom on the origin),
# runs to its budget with that row failed.  Skipped without xtb, unless
# CI=true (tools/install-deps test installs it).
. "$(dirname "$0")/lib.sh"

if ! command -v xtb >/dev/null 2>&1; then
	if [ "${CI-}" = true ]; then
		test_expect_success 'xtb is installed' "
			echo 'no xtb (tools/install-deps test)'; false"
	else
		test_skip 'examples/xtb' 'no xtb (tools/install-deps test)'
	fi
	test_done
fi

EX=$TOP/examples/xtb
ORACLE=$EX/xtb-oracle
OMP_NUM_THREADS=1
export OMP_NUM_THREADS

# GFN2-xTB's equilibrium geometry of water (O, H, H; Angstrom), to 1e-5.
eq="0 0 0.10107 0 0.77219 -0.46803 0 -0.77219 -0.46803"

# xtb_energy "X1 .. X9": xtb run here on that water geometry, in a
# directory of its own, with the oracle's accuracy; the energy (Eh) from
# its standard output, not from the files the oracle reads.
xtb_energy() {
	d=$(mktemp -d run.XXXXXX) &&
	echo "$1" | awk '{ print 3; print "water"
		printf "O %s %s %s\nH %s %s %s\nH %s %s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' >"$d/w.xyz" &&
	(cd "$d" && xtb w.xyz --sp --acc 0.01 >out 2>err) &&
	awk '/\| TOTAL ENERGY/ { print $4; found = 1 } END { exit !found }' "$d/out"
}

test_expect_success 'the oracle at the equilibrium: xtb'"'"'s energy, a gradient of about 0' '
	xtb_energy "$eq" >eref &&
	echo "$eq" | "$ORACLE" >line 2>err &&
	test ! -s err &&
	awk -v e="$(cat eref)" "{
		d = \$1 - e; if (d < 0) d = -d
		if (NF != 10 || d > 1e-9) { print \"energy \" \$1 \" against \" e; exit 1 }
		for (i = 2; i <= 10; i++)
			if (\$i > 1e-3 || \$i < -1e-3) { print \"gradient \" \$i; exit 1 }
	}" line &&
	awk "{ exit !(\$1 > -5.08 && \$1 < -5.06) }" eref
'

test_expect_success 'the oracle fails cleanly: broken geometry, wrong count, no xtb' '
	echo "0 0 0 0 0 0 0 0 0" | { must_fail 1 "$ORACLE" >out 2>err; } &&
	test ! -s out &&
	test_grep "^xtb-oracle: xtb failed (exit 1): Found \*very\* short distance" err &&
	echo "1 2 3" | { must_fail 1 "$ORACLE" >out 2>err; } &&
	test ! -s out &&
	echo "xtb-oracle: 3 numbers, expected 9 (3 for each of O H H)" >want &&
	test_cmp want err &&
	echo "$eq" | { XTB=no-such-xtb must_fail 1 "$ORACLE" >out 2>err; } &&
	test ! -s out && test_grep "^xtb-oracle: xtb failed (exit 127)" err &&
	printf "%s\n%s\n" "$eq" "0 0 0 0 0 0 0 0 0" | { must_fail 1 "$ORACLE" >out 2>err; } &&
	test ! -s out && test_grep "xtb failed on input line 2 of 2 (exit 1)" err
'

# The campaign's oracle: xtb-oracle, but row 3 of the initial design has
# every atom on the origin.
cat >broken-oracle <<EOF2
#!/bin/sh
if [ "\$PAL_ID" = 3 ]; then
	cat >/dev/null
	echo "0 0 0 0 0 0 0 0 0" | exec "$ORACLE"
fi
exec "$ORACLE"
EOF2
chmod +x broken-oracle

test_expect_success 'a campaign of 36 labels, a broken geometry among them' '
	(cd "$EX" && ls -a) >before &&
	"$EX/run" c --quiet --budget 36 --set gen.steps=5 \
		--set label.exec="$TRASH/broken-oracle" 2>err &&
	test_grep "^stop=budget$" c/state &&
	pal-cat --columns id,y,status --to csv c/labeled.pal | sed 1d >rows &&
	test "$(cut -d, -f1 rows | sort -u | wc -l)" -eq 36 &&
	test "$(wc -l <rows)" -eq 36 &&
	grep "^3," rows >row3 && echo "3,nan,1" >want && test_cmp want row3 &&
	test_grep "row 3 (rank 0): exited with status 1: \"xtb-oracle: xtb failed (exit 1): Found \*very\* short distance" c/logs/label-g0000.err &&
	test "$(grep -c ",0$" rows)" -eq 35 &&
	test -s c/models/gen-0002.pal &&
	ls c/scratch >kept && test "$(wc -l <kept)" -eq 1 && grep -q "^row3-" kept &&
	(cd "$EX" && ls -a) >after && test_cmp before after
'

test_expect_success 'its energies are water'"'"'s near the equilibrium; 16 are walkers'"'"' steps' '
	awk -F, -v e="$(cat eref)" "\$3 == 0 {
		n++
		if (\$2 < e - 1e-6 || \$2 > e + 0.3) { print \"energy \" \$0; bad = 1 }
	} END { exit bad || n != 35 }" rows &&
	cat c/gen-000[12]/walk-[0-9][0-9][0-9].pal | pal-cat --columns id --to csv |
		sed 1d | sort -u >walked &&
	awk -F, "\$1 >= 20 { print \$1 }" rows | sort -u >after20 &&
	test "$(wc -l <after20)" -eq 16 &&
	test "$(comm -23 after20 walked | wc -l)" -eq 0
'

test_expect_success 'its grad column is dE/dx: central differences of xtb at one geometry' '
	pal-cat --columns id,x,grad,status --to csv c/labeled.pal | sed 1d |
		awk -F, "\$NF == 0" | sort -t, -k1,1n | tail -1 >last &&
	x=$(cut -d, -f2-10 last | tr , " ") &&
	cut -d, -f11-19 last | tr , "\n" >grad &&
	h=0.002 && : >fd &&
	for i in 1 2 3 4 5 6 7 8 9; do
		xp=$(echo "$x" | awk -v i=$i -v h=$h "{ \$i += h; print }") &&
		xm=$(echo "$x" | awk -v i=$i -v h=$h "{ \$i -= h; print }") &&
		ep=$(xtb_energy "$xp") && em=$(xtb_energy "$xm") &&
		awk -v p="$ep" -v m="$em" -v h=$h "BEGIN { printf \"%.10g\n\", (p - m) / (2 * h) }" >>fd ||
		exit 1
	done &&
	paste fd grad | awk "{
		d = \$1 - \$2; if (d < 0) d = -d
		s = \$2 < 0 ? -\$2 : \$2
		printf \"fd %s grad %s\n\", \$1, \$2
		if (d > 2e-4 + 1e-3 * s) bad = 1
		if (s > big) big = s
	} END { exit bad || NR != 9 || big < 1e-3 }"
'

test_done
