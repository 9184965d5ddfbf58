# bench/lib.sh: what every bench/*.sh does first, sourced as
#
#	. "$(dirname "$0")/lib.sh"
#	bench_workdir NAME	# a scratch directory, removed at exit; cd there
#
# It puts this tree's bin/ and test helpers first on PATH, sets PY (the
# python3 that runs the numpy baselines, /usr/bin/python3 unless PY is set)
# and offers need_numpy NAME, which stops the benchmark with the apt-get
# line when numpy is missing.  Scratch goes to BENCH_DIR, else /dev/shm
# (so disk speed is not measured), else TMPDIR.
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build/default}
PATH=$TOP/bin:$TOP/$O/tests:$PATH
export PATH
PY=${PY:-/usr/bin/python3}

bench_workdir() {
	dir=${BENCH_DIR:-}
	if [ -z "$dir" ]; then
		if [ -d /dev/shm ] && [ -w /dev/shm ]; then
			dir=/dev/shm
		else
			dir=${TMPDIR:-/tmp}
		fi
	fi
	work=$(mktemp -d "$dir/pal-bench-$1.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
	cd "$work" || exit 1
}

need_numpy() {
	if ! "$PY" -c 'import numpy' 2>/dev/null; then
		echo "$1: no numpy for $PY (apt-get install python3-numpy)" >&2
		exit 1
	fi
}
