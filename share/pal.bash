# pal.bash: bash completion for the pal programs.
#
# Options are read from each program's own --help (its usage lines), so the
# completion never falls out of step with the program; the values of the
# options that take a word from a fixed list (methods, rules, built-ins,
# policies, formats) are listed below, and tests/t060-completion.sh checks
# them against what each program accepts.
#
# To enable it, source this file from ~/.bashrc:
#
#	. /usr/local/share/pal/pal.bash		(after make install)
#	. /path/to/pal/share/pal.bash		(in the source tree)
#
# or install it as /usr/share/bash-completion/completions/pal-cat with a
# link named after each other program.

# The words that option $2 of program $1 takes, or nothing (then files are
# completed).
_pal_values()
{
	case $1:$2 in
	pal-cat:--to|pal-cat:--from)
		echo csv tsv ;;
	pal-gen:--method)
		echo uniform normal sobol halton lhs grid ;;
	pal-gen:--walk)
		echo langevin ;;
	pal-select:--by)
		echo std mean -mean ucb: lcb: ei random ;;
	pal-select:--reduce)
		echo max mean ;;
	pal-label:--builtin)
		echo branin hartmann6 ackley rosenbrock mueller-brown lj toy ;;
	pal-label:--on-fail)
		echo keep skip abort ;;
	pal-train:--model)
		echo mlp gp ;;
	pal-train:--activation)
		echo tanh relu silu ;;
	pal-train:--optimizer)
		echo adam sgd momentum rmsprop adadelta ;;
	pal-train:--precision)
		echo f32 f64 ;;
	pal-train:--kernel)
		echo rbf matern52 ;;
	pal-train:--parallel)
		echo members data downpour easgd ;;
	pal-orchestrate:--policy)
		echo batch stream ;;
	esac
}

_pal_complete()
{
	local cur prev prog opts words name
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	prog=${COMP_WORDS[0]##*/}
	# --opt=value: complete the value.  Bash splits words at "=" (see
	# COMP_WORDBREAKS), so that "--opt=" "v" come as "--opt" "=" "v".
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	elif [[ $prev == = && COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ $cur == = && $prev == --* ]]; then
		cur=
	fi
	# pal-cat --type name=dtype: the dtype after the "=".
	if [[ $prog == pal-cat && COMP_CWORD -ge 3 &&
	      ${COMP_WORDS[COMP_CWORD-3]} == --type &&
	      ${COMP_WORDS[COMP_CWORD-1]} == = ]]; then
		COMPREPLY=($(compgen -W "u8 i32 i64 u64 f32 f64" -- "$cur"))
		return
	fi
	if [[ $prog == pal-cat && $prev == --type && $cur == *=* ]]; then
		name=${cur%=*}
		COMPREPLY=($(compgen -P "$name=" -W "u8 i32 i64 u64 f32 f64" -- "${cur##*=}"))
		return
	fi
	words=$(_pal_values "$prog" "$prev")
	if [[ -n $words ]]; then
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *: ]] &&
			compopt -o nospace 2>/dev/null
		return
	fi
	if [[ $cur == -* ]]; then
		opts=$("${COMP_WORDS[0]}" --help 2>/dev/null | sed '/^$/q' |
			grep -o -- '--[a-z][-a-z]*' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

complete -o filenames -F _pal_complete pal-cat pal-gen pal-select pal-label \
	pal-train pal-predict pal-orchestrate
