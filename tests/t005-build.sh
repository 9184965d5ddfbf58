#!/bin/sh
# The build: only the heavy stages link Open MPI, only the model stages link
# OpenBLAS, and every program answers --help and --version.
#
# The lists of who links what are the Makefile's own (MPI_PROGS,
# BLAS_PROGS, read with make print-VAR), so the test cannot drift from the
# build.  A program of a list that has no cmd/ source yet is named in a
# comment, not counted as a test; what runs is one test per program that
# exists, and a check that OpenBLAS, as the Makefile links it, computes.
. "$(dirname "$0")/lib.sh"

mkvar() { make -s --no-print-directory -C "$TOP" "print-$1"; }

progs=$(mkvar PROGS) || exit 1
mpi_progs=" $(mkvar MPI_PROGS) "
blas_progs=" $(mkvar BLAS_PROGS) "
blas_libs=$(mkvar BLAS_LIBS)
blas_cflags=$(mkvar BLAS_CFLAGS)

for p in $(echo $mpi_progs $blas_progs | tr " " "\n" | sort -u); do
	[ -f "$TOP/cmd/${p#bin/}.c" ] ||
		echo "# ${p#bin/}: in the Makefile's lists, not written yet"
done

test_expect_success 'bin/ holds one program per cmd/pal-*.c' '
	ls "$TOP"/cmd/pal-*.c | sed "s|.*/cmd/||; s|\.c$||" | sort >want &&
	ls "$TOP"/bin | grep "^pal-" | sort >got &&
	test_cmp want got &&
	test -n "$(cat want)"
'

for prog in $progs; do
	p=${prog#bin/}
	case $mpi_progs in *" $prog "*) mpi=1 ;; *) mpi=0 ;; esac
	case $blas_progs in *" $prog "*) blas=1 ;; *) blas=0 ;; esac
	what="links $([ $mpi = 1 ] && echo "Open MPI" || echo "no MPI"), $([ $blas = 1 ] && echo "OpenBLAS" || echo "no BLAS")"
	test_expect_success "$p $what" "
		ldd \"\$TOP/$prog\" >libs &&
		if [ $mpi = 1 ]; then test_grep libmpi libs; else ! grep libmpi libs; fi &&
		if [ $blas = 1 ]; then test_grep 'libopenblas\|libblas' libs
		else ! grep 'libopenblas\|libblas' libs; fi
	"
done

# The BLAS half for as long as no BLAS program exists: the Makefile's
# OpenBLAS flags link and run a dot product.
test_expect_success "OpenBLAS as the Makefile links it computes (ddot = 32)" '
	cat >ddot.c <<-\EOF &&
	#include <cblas.h>
	#include <stdio.h>
	int main(void)
	{
		double a[3] = { 1, 2, 3 }, b[3] = { 4, 5, 6 };

		printf("%g\n", cblas_ddot(3, a, 1, b, 1));
		return 0;
	}
	EOF
	${CC:-cc} $blas_cflags -o ddot ddot.c $blas_libs &&
	ldd ddot >libs && test_grep "libopenblas\|libblas" libs &&
	./ddot >got && echo 32 >want && test_cmp want got
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
