# manlib.sh: read options and examples out of mdoc pages and --help text.
# Sourced by t040-man.sh.

# Split option words into one option per line: "-hV" gives -h and -V,
# "--head" stays.
split_opts() {
	awk '/^--/ { print; next }
	     /^-/ { n = split(substr($0, 2), c, ""); for (i = 1; i <= n; i++) print "-" c[i] }'
}

# The options of a page's SYNOPSIS: "Fl \-head" is --head, "Fl hV" is -h -V.
synopsis_options() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$1" |
	grep -o 'Fl [^ ]*' | sed 's/^Fl /-/; s/\\-/-/g' | split_opts | sort -u
}

# The options of a program's usage text (up to its first blank line):
# optional ones in brackets, required ones ("--model file") after a blank.
usage_options() {
	"$1" --help | sed '/^$/q' | grep -o '[[ ]-[-a-zA-Z]*' | sed 's/^[[ ]//' |
	split_opts | sort -u
}

# Whether option $2 is described by an ".It Fl ..." line of page $1.
option_described() {
	sed -n '/^\.Sh DESCRIPTION/,/^\.Sh EXIT STATUS/p' "$1" | grep '^\.It' |
	grep -o 'Fl [^ ]*' | sed 's/^Fl /-/; s/\\-/-/g' | grep -qx -e "$2"
}

# The commands of a page's EXAMPLES: "$ " lines of .Bd -literal blocks,
# with the mdoc escapes \- \e \(aq \& undone.
example_commands() {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' "$1" |
	sed -n '/^\.Bd -literal/,/^\.Ed/p' | grep '^\$ ' | sed 's/^\$ //' |
	sed "s/\\\\-/-/g; s/\\\\(aq/'/g; s/\\\\e/\\\\/g; s/\\\\&//g"
}

# The options of a program's --help table (its "Options:" lines: "  -o,
# --output=FILE  ..." or "      --head=N  ..."), one a line.
help_options() {
	"$1" --help | sed -n '/^Options:$/,/^$/p' |
	sed -n 's/^  \(-[a-zA-Z]\), \(--[a-z][-a-z]*\).*/\1 \2/p
		s/^      \(--[a-z][-a-z]*\).*/\1/p' | tr ' ' '\n' | sort -u
}

# The options a page describes: those of its ".It Fl ..." lines.
described_options() {
	sed -n '/^\.Sh DESCRIPTION/,/^\.Sh EXIT STATUS/p' "$1" |
	grep '^\.It Fl' | grep -o 'Fl [^ ]*' | sed 's/^Fl /-/; s/\\-/-/g' |
	split_opts | sort -u
}
