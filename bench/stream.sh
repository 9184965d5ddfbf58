#!/bin/sh
# bench/stream: throughput of pal-cat against cat(1) on the same bytes.
#
# A stream of SIZE_MIB (default 1024) MiB of f64 columns (id, x of width 8)
# is made in a tmpfs when there is one, then piped through
#	cat FILE | cat     | cat >/dev/null	(the baseline)
#	cat FILE | pal-cat | cat >/dev/null	(every crc checked, frames copied)
# so both middle stages read from and write to a pipe.  Each is run RUNS
# times (default 3) and the best is kept.  Then the same for compression:
# pal-cat --compress=1 and =6 of smooth data, and --decompress, with the
# size ratio.  Prints MB/s (10^6 bytes per second of uncompressed stream)
# and ratios to cat.
set -eu
. "$(dirname "$0")/lib.sh"
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
bench_workdir stream

now() { date +%s.%N; }

# best_of CMD: run CMD RUNS times, print the shortest wall time in seconds.
best_of() {
	best=
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(now)
		sh -c "$1"
		t1=$(now)
		best=$(echo "$t0 $t1 ${best:-1e9}" |
			awk '{ d = $2 - $1; print (d < $3) ? d : $3 }')
		i=$((i + 1))
	done
	echo "$best"
}

rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

pal-fill "$SIZE_MIB" >"$work/rand.pal"
pal-fill -s "$SIZE_MIB" >"$work/smooth.pal"
bytes=$(wc -c <"$work/rand.pal")
echo "data: $bytes bytes of id + 8 x f64 per row, in $work; best of $RUNS runs"

t_cat=$(best_of "cat $work/rand.pal | cat | cat >/dev/null")
t_pal=$(best_of "cat $work/rand.pal | pal-cat | cat >/dev/null")
t_ver=$(best_of "pal-cat --verify <$work/rand.pal")
printf '%-44s %8s MB/s\n' "cat | cat | cat" "$(rate "$bytes" "$t_cat")"
printf '%-44s %8s MB/s  ratio to cat %s\n' "cat | pal-cat | cat (crc checked)" \
	"$(rate "$bytes" "$t_pal")" "$(ratio "$t_pal" "$t_cat")"
printf '%-44s %8s MB/s\n' "pal-cat --verify <file (read + crc only)" \
	"$(rate "$bytes" "$t_ver")"

sbytes=$(wc -c <"$work/smooth.pal")
for level in 1 6; do
	t_z=$(best_of "pal-cat --compress=$level <$work/smooth.pal >$work/z$level.pal")
	zbytes=$(wc -c <"$work/z$level.pal")
	t_d=$(best_of "cat $work/z$level.pal | pal-cat --decompress | cat >/dev/null")
	printf '%-44s %8s MB/s  size ratio %s\n' \
		"pal-cat --compress=$level (smooth f64)" "$(rate "$sbytes" "$t_z")" \
		"$(awk -v a="$sbytes" -v b="$zbytes" 'BEGIN { printf "%.3f", b / a }')"
	printf '%-44s %8s MB/s  ratio to cat %s\n' \
		"cat | pal-cat --decompress | cat (level $level)" \
		"$(rate "$sbytes" "$t_d")" "$(ratio "$t_d" "$t_cat")"
done
