# san-env.sh: the sanitizers' settings for make SAN=1 check, sourced by
# tests/lib.sh (shell tests) and tests/run (unit tests and replayers), with
# TESTS set to this directory.
if [ "${SAN-}" = 1 ]; then
	# Full stacks (fast_unwind_on_malloc=0): Open MPI has no frame pointers,
	# and its leaks can be told apart from ours only by their whole stack.
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:fast_unwind_on_malloc=0}
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	# Open MPI's own leaks are suppressed (tests/lsan.supp), not ours.
	LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TESTS/lsan.supp:print_suppressions=0}
	OMPI_MCA_mca_base_component_disable_dlclose=1
	export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS \
		OMPI_MCA_mca_base_component_disable_dlclose
fi
