#!/bin/sh
# share/pal.bash: options come from --help; the values of options that take
# a word from a list are those the program accepts (the list its own usage
# error gives), so that completion never offers a word the program refuses.
. "$(dirname "$0")/lib.sh"

if ! command -v bash >/dev/null 2>&1; then
	test_skip 'bash completion' 'no bash'
	test_done
fi

# complete WORD...: what _pal_complete offers for the last word, one a line.
complete_words() {
	bash -c '. "$TOP/share/pal.bash"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		_pal_complete; printf "%s\n" "${COMPREPLY[@]}"' complete "$@" |
	sed '/^$/d' | sort
}

# accepted PROG OPT ARGS...: the words of "(use a, b or c)" in the usage
# error that PROG gives for an unknown value of OPT.
accepted() {
	"$@" 2>&1 >/dev/null | sed -n 's/.*(use \(.*\))$/\1/p' |
	sed 's/, / /g; s/ or / /; s/:BETA/:/g' | tr ' ' '\n' | sort
}

test_expect_success 'option values are those each program accepts' '
	while read -r prog opt probe; do
		accepted $prog $opt no-such-value $probe >want &&
		test -s want || { echo "$prog $opt: no list in its error"; exit 1; }
		complete_words $prog $opt "" >got &&
		test_cmp want got || { echo "$prog $opt"; exit 1; }
		complete_words $prog $opt = "" >got &&
		test_cmp want got || { echo "$prog $opt= (split)"; exit 1; }
	done <<-EOF
	pal-cat --to
	pal-cat --from
	pal-gen --method --n 1 --dim 1
	pal-gen --walk
	pal-select --by --top 1
	pal-select --reduce --top 1
	pal-label --on-fail --builtin toy
	pal-train --model
	pal-train --activation
	pal-train --optimizer
	pal-train --precision
	pal-train --kernel --model gp
	pal-train --parallel
	EOF
'

test_expect_success 'pal-label --builtin offers every built-in of --help' '
	pal-label --help | sed -n "/Built-ins.*:$/,/^[^ ]/p" |
		sed -n "s/^  \([a-z0-9-][a-z0-9-]*\)  .*/\1/p" | sort >want &&
	test "$(wc -l <want)" -ge 7 &&
	complete_words pal-label --builtin "" >got &&
	test_cmp want got &&
	complete_words pal-label --builtin m >got &&
	echo mueller-brown >want && test_cmp want got
'

test_expect_success 'pal-cat --type completes the dtype after name=' '
	complete_words pal-cat --type "id=u" >got &&
	printf "id=u64\nid=u8\n" >want && test_cmp want got &&
	complete_words pal-cat --type id = f >got &&
	printf "f32\nf64\n" >want && test_cmp want got
'

test_expect_success 'options are completed from --help; files otherwise' '
	complete_words pal-select --rev >got && test ! -s got &&
	complete_words pal-select --re >got &&
	printf "%s\n" --reduce --rest >want && test_cmp want got &&
	: >afile.pal &&
	complete_words pal-select --rest af >got &&
	echo afile.pal >want && test_cmp want got
'

test_expect_success 'README says how to enable completion' '
	grep -q "share/pal.bash" "$TOP/README" &&
	grep -q "bashrc" "$TOP/README"
'

test_done
