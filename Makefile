# pal: build, test, install.  One non-recursive GNU Makefile.
#
#   make               build the programs into bin/
#   make check         build and run every test (tests/run)
#   make deps          install the packages of every part (as root)
#   make SAN=1 check   the same with AddressSanitizer and UBSan
#   make fuzz          fuzz the stream reader with libFuzzer (FUZZ_SECONDS)
#   make bench         run the benchmarks in bench/
#   make demo          a small end-to-end run
#   make install       install into $(DESTDIR)$(PREFIX)
#
# Objects go to build/ (build/san/ with SAN=1, so the two never mix);
# programs go to bin/, so PATH=$PWD/bin:$PATH works before installing.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/pal

CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
CLANG ?= clang
FUZZ_SECONDS ?= 60
PAL_VERSION = 0.1.0

WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wwrite-strings -Wformat=2 -Wno-format-nonliteral -Wpointer-arith \
	-Wundef
ifeq ($(CI),true)
WARNINGS += -Werror
endif

ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
O = build/san
else
SANFLAGS =
O = build/default
endif

# Dependencies come from pkg-config, evaluated when a recipe needs them
# (after tools/install-deps has run), not when the Makefile is read.
# The build waits only on the build's packages (tools/install-deps build,
# once per tree); make check, fuzz, bench and demo ask for their own
# packages when they run, so a plain make never needs clang, numpy or groff.
ZLIB_CFLAGS = $(shell pkg-config --cflags zlib)
ZLIB_LIBS = $(shell pkg-config --libs zlib)
MPI_CFLAGS = $(shell pkg-config --cflags ompi-c)
MPI_LIBS = $(shell pkg-config --libs ompi-c)
BLAS_CFLAGS = $(shell pkg-config --cflags openblas)
BLAS_LIBS = $(shell pkg-config --libs openblas)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DPAL_VERSION='"$(PAL_VERSION)"' \
	-Ilibcommon $(WARNINGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

# Programs: one cmd/pal-x.c each.  Those named in MPI_PROGS link Open MPI
# (and libcommon's MPI parts); BLAS_PROGS link OpenBLAS; the rest link
# neither.
PROGS = $(patsubst cmd/%.c,bin/%,$(wildcard cmd/pal-*.c))
MPI_PROGS = bin/pal-label bin/pal-train bin/pal-predict
BLAS_PROGS = bin/pal-train bin/pal-predict

LIB_SRCS = $(filter-out libcommon/mpi%.c,$(wildcard libcommon/*.c))
# libcommon's modules that call OpenBLAS, or call those (model.c: mlp.c's
# mlp_init): compiled with its flags, left out of the fuzz builds; only
# programs and tests that use them link OpenBLAS (a static archive gives a
# program only the objects it needs).
BLAS_LIB_SRCS = libcommon/linalg.c libcommon/mlp.c libcommon/model.c \
	libcommon/gp.c
BLAS_LIB_OBJS = $(patsubst %.c,$(O)/%.o,$(BLAS_LIB_SRCS))
LIB_OBJS = $(patsubst %.c,$(O)/%.o,$(LIB_SRCS))
LIB = $(O)/libcommon.a
MPILIB_SRCS = $(wildcard libcommon/mpi*.c)
MPILIB_OBJS = $(patsubst %.c,$(O)/%.o,$(MPILIB_SRCS))
MPILIB = $(O)/libcommon-mpi.a

UNIT_SRCS = $(wildcard tests/unit/test-*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))
HELPER_SRCS = $(wildcard tests/helpers/*.c)
HELPER_BINS = $(patsubst tests/helpers/%.c,$(O)/tests/%,$(HELPER_SRCS))
MPI_TEST_SRCS = $(wildcard tests/mpi/*.c)
MPI_TEST_BINS = $(patsubst tests/mpi/%.c,$(O)/tests/%,$(MPI_TEST_SRCS))
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz-*.c)
REPLAY_BINS = $(patsubst tests/fuzz/fuzz-%.c,$(O)/tests/replay-%,$(FUZZ_SRCS))
FUZZ_BINS = $(patsubst tests/fuzz/fuzz-%.c,build/fuzz/fuzz-%,$(FUZZ_SRCS))

MAN1 = $(wildcard man/*.1)
MAN5 = $(wildcard man/*.5)
MAN7 = $(wildcard man/*.7)
SHARE_FILES = $(wildcard share/*.py share/*.bash)

DEPS_OK = build/.deps-build
FLAGS_STAMP = $(O)/.flags
BIN_STAMP = bin/.build

all: $(PROGS)

# Install the build's missing Debian packages (as root) or say which; once
# per tree.
$(DEPS_OK): tools/install-deps
	@tools/install-deps build
	@mkdir -p $(@D) && touch $@

deps:
	@tools/install-deps build test fuzz bench && mkdir -p build && \
		touch $(DEPS_OK)

# The packages of one target beyond the build: checked every time (a few
# dpkg-query calls), installed as root, else the apt-get line is printed.
DEPS_PARTS = deps-test deps-fuzz deps-bench deps-demo
$(DEPS_PARTS):
	@tools/install-deps $(@:deps-%=%)

# Rebuild everything when the flags change (git's GIT-CFLAGS trick).
$(FLAGS_STAMP): FORCE | $(DEPS_OK)
	@mkdir -p $(@D)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

# bin/ is shared by both builds: relink when it holds the other one.
$(BIN_STAMP): FORCE
	@mkdir -p bin
	@echo '$(O)' > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(O)/%.o: %.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) -MMD -MP -c -o $@ $<

# The optimisers' element loops vectorise once sqrt need not set errno
# (optim.c says why the bits do not change).
$(O)/libcommon/optim.o: ALL_CFLAGS += -fno-math-errno -ftree-vectorize
# So do the MLP's activation loops, once the switch on the activation is
# taken out of them (-funswitch-loops) and a clamp may be a blend
# (-fno-trapping-math: no trap is ever enabled); no reduction is vectorised
# (that would need -fassociative-math), so the sums keep their order.
$(O)/libcommon/mlp.o: ALL_CFLAGS += -fno-math-errno -fno-trapping-math -ftree-vectorize \
	-funswitch-loops

$(BLAS_LIB_OBJS): $(O)/%.o: %.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) $(BLAS_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libcommon/mpi%.o: libcommon/mpi%.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) $(MPI_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/cmd/%.o: cmd/%.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) \
		$(if $(filter bin/$*,$(MPI_PROGS)),$(MPI_CFLAGS)) \
		$(if $(filter bin/$*,$(BLAS_PROGS)),$(BLAS_CFLAGS)) \
		-MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(MPILIB): $(MPILIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^ $(if $(MPILIB_OBJS),,$(error no MPI sources))

bin/%: $(O)/cmd/%.o $(LIB) $(if $(MPILIB_SRCS),$(MPILIB)) $(BIN_STAMP)
	@mkdir -p bin
	$(CC) $(ALL_LDFLAGS) -o $@ $< \
		$(if $(filter $@,$(MPI_PROGS)),$(MPILIB)) $(LIB) \
		$(if $(filter $@,$(BLAS_PROGS)),$(BLAS_LIBS)) \
		$(if $(filter $@,$(MPI_PROGS)),$(MPI_LIBS)) \
		$(ZLIB_LIBS) -lm

$(O)/tests/%: $(O)/tests/%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -Wl,--as-needed $(BLAS_LIBS) \
		-Wl,--no-as-needed $(ZLIB_LIBS) -lm

$(O)/tests/%.o: tests/unit/%.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/tests/%.o: tests/helpers/%.c $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) -MMD -MP -c -o $@ $<

# Test programs of libcommon's MPI parts, run under mpirun by the tests.
$(O)/tests/%: tests/mpi/%.c $(MPILIB) $(LIB) $(FLAGS_STAMP) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) $(MPI_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
		$(MPILIB) $(LIB) $(MPI_LIBS) $(ZLIB_LIBS) -lm

# The fuzz targets, built with gcc and a plain-C main that replays a corpus:
# run by make check over tests/fuzz/corpus and tests/corrupt.
$(O)/tests/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ZLIB_CFLAGS) $(ALL_LDFLAGS) -o $@ \
		tests/fuzz/fuzz-$*.c tests/fuzz/replay.c $(LIB) $(ZLIB_LIBS) -lm

# The same targets under libFuzzer (clang), for make fuzz.
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(LIB_SRCS) | deps-fuzz
	@mkdir -p $(@D)
	$(CLANG) -std=c11 -D_GNU_SOURCE -DPAL_VERSION='"$(PAL_VERSION)"' \
		-Ilibcommon -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< \
		$(filter-out $(BLAS_LIB_SRCS),$(LIB_SRCS)) $(ZLIB_LIBS) -lm

test-progs: $(PROGS) $(UNIT_BINS) $(HELPER_BINS) $(MPI_TEST_BINS) $(REPLAY_BINS)

check: test-progs
	@tools/install-deps test
	@O=$(O) SAN=$(SAN) sh tests/run

fuzz: $(FUZZ_BINS)
	@O=$(O) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run

bench: $(PROGS) $(HELPER_BINS)
	@tools/install-deps bench
	@O=$(O) sh bench/run

demo: $(PROGS)
	@tools/install-deps demo
	@sh examples/demo.sh

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(DATADIR)
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7
	install -m 644 NOTICE $(DESTDIR)$(DATADIR)
	$(if $(SHARE_FILES),install -m 644 $(SHARE_FILES) $(DESTDIR)$(DATADIR))

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build bin

# make print-VAR: a variable's value, for tests (tests/t005-build.sh).
print-%: FORCE
	@echo '$($*)'

.PHONY: all deps $(DEPS_PARTS) check test-progs fuzz bench demo install uninstall clean FORCE
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
