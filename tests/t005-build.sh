#!/bin/sh
# The build: only the heavy stages link Open MPI, only the model stages link
# OpenBLAS, and every program answers --help and --version.
. "$(dirname "$0")/lib.sh"

mpi_progs=" pal-label pal-train pal-predict "
blas_progs=" pal-train pal-predict "

test_expect_success 'Open MPI and OpenBLAS are linked only where needed' '
	for prog in "$TOP"/bin/pal-*; do
		p=${prog##*/}
		ldd "$prog" >libs || exit 1
		case $mpi_progs in
		*" $p "*) grep -q "libmpi" libs || { echo "$p lacks MPI"; exit 1; } ;;
		*) ! grep -q "libmpi" libs || { echo "$p links MPI"; exit 1; } ;;
		esac
		case $blas_progs in
		*" $p "*) grep -q "libopenblas\|libblas" libs || { echo "$p lacks BLAS"; exit 1; } ;;
		*) ! grep -q "libopenblas\|libblas" libs || { echo "$p links BLAS"; exit 1; } ;;
		esac
	done
'

test_expect_success 'every program answers --help and --version' '
	for prog in "$TOP"/bin/pal-*; do
		p=${prog##*/}
		"$prog" --help >help </dev/null || { echo "$p --help failed"; exit 1; }
		head -1 help | grep -q "^usage: $p " || { echo "$p: bad usage line"; exit 1; }
		"$prog" --version >version </dev/null || exit 1
		grep -q "^$p [0-9]" version || { echo "$p: bad version"; exit 1; }
	done
'

test_done
