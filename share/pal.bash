# pal.bash: bash completion for the pal programs.
#
# Options are read from each program's own --help (its usage lines), so the
# completion never falls out of step with the program.  Source this file from
# ~/.bashrc, or install it as /usr/share/bash-completion/completions/pal-cat
# (and a link per program).

_pal_complete()
{
	local cur prev opts
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--to|--from)
		COMPREPLY=($(compgen -W "csv tsv" -- "$cur"))
		return
		;;
	esac
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
