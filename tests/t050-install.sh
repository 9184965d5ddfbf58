#!/bin/sh
# make install: programs, man pages and share/ files land under DESTDIR and
# PREFIX, and the installed programs work from there.
. "$(dirname "$0")/lib.sh"

test_expect_success 'make install DESTDIR=... PREFIX=/opt/pal' '
	make -s -C "$TOP" install SAN="${SAN-}" DESTDIR="$TRASH/root" \
		PREFIX=/opt/pal >make.out 2>&1 || { cat make.out; exit 1; }
	root=$TRASH/root/opt/pal &&
	for p in "$TOP"/bin/pal-*; do
		test -x "$root/bin/${p##*/}" || { echo "no ${p##*/}"; exit 1; }
		test -f "$root/share/man/man1/${p##*/}.1" || { echo "no ${p##*/}.1"; exit 1; }
	done &&
	test -f "$root/share/man/man5/pal-stream.5" &&
	test -f "$root/share/man/man7/pal.7" &&
	test -f "$root/share/pal/pal_stream.py" &&
	printf "a\n1\n" | "$root/bin/pal-cat" --from csv | "$root/bin/pal-cat" --verify
'

test_expect_success 'make uninstall removes what install put there' '
	make -s -C "$TOP" uninstall SAN="${SAN-}" DESTDIR="$TRASH/root" \
		PREFIX=/opt/pal >make.out 2>&1 &&
	test -z "$(find "$TRASH/root" -type f)"
'

test_done
