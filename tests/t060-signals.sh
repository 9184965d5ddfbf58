#!/bin/sh
# Interrupts and kills leave nothing behind: SIGINT, SIGTERM and SIGHUP to
# pal-cat, pal-gen, pal-select and pal-label remove the temporary of each -o
# output (with O_TMPFILE there is none to remove; PAL_NO_TMPFILE=1 takes the
# named-temporary path), keep an existing output as it was, and end the
# program by the signal (128+n).  After kill -9 no temporary is left either.
# A command of pal-gen --exec or pal-label --exec dies with the program.
. "$(dirname "$0")/lib.sh"

pal-gen --n 3 --dim 2 --seed 1 -o in.pal

# Signals are sent to background jobs, for which sh ignores SIGINT (and
# reads /dev/null): env puts the defaults back, as a terminal's foreground
# job would have them.
run_bg() {
	env --default-signal=INT,TERM,HUP "$@" <"$input" &
	pid=$!
}
input=/dev/null

# hold FIFO: a writer that keeps FIFO open (and silent) until killed.
hold() {
	rm -f "$1" && mkfifo "$1" &&
	{ sleep 60 >"$1" & holder=$!; }
}

# wait_output PID: until PID has a temporary output open, named or not.
wait_output() {
	i=0
	while [ $i -lt 100 ]; do
		ls -l /proc/"$1"/fd 2>/dev/null |
			grep -q -e '\.tmp' -e '(deleted)' && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "process $1 never opened its output" >&2
	return 1
}

# wait_gone PATTERN: no process whose command line matches PATTERN is left
# (2 s for the kernel's SIGKILL to land).
wait_gone() {
	i=0
	while pgrep -f "$1" >/dev/null; do
		if [ $i -ge 40 ]; then
			echo "left running:" >&2
			pgrep -af "$1" >&2
			pkill -KILL -f "$1"
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
}

signum() {
	case $1 in
	HUP) echo 1 ;; INT) echo 2 ;; KILL) echo 9 ;; TERM) echo 15 ;;
	esac
}

# interrupt SIG PROGRAM ARGS...: run PROGRAM (writing out.pal, maybe
# rest.pal) on a silent input, send SIG once its output is open, and check
# the status, that no temporary is left, and that out.pal is as it was.
interrupt() {
	sig=$1
	shift
	rm -f out.pal* rest.pal* &&
	echo old >out.pal &&
	hold fifo &&
	input=fifo run_bg "$@" &&
	wait_output $pid &&
	kill -"$sig" $pid
	wait $pid
	rc=$?
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	if [ "$rc" -ne $((128 + $(signum "$sig"))) ]; then
		echo "$* got SIG$sig: exit status $rc" >&2
		return 1
	fi
	test "$(cat out.pal)" = old || { echo "out.pal changed" >&2; return 1; }
	left=$(ls | grep -e '\.tmp' -e '^rest\.pal')
	if [ -n "$left" ]; then
		echo "$* got SIG$sig and left: $left" >&2
		return 1
	fi
}

for mode in unnamed named; do
	if [ $mode = named ]; then
		env=PAL_NO_TMPFILE=1
	else
		env=PAL_UNUSED=1
	fi
	for sig in INT TERM HUP; do
		test_expect_success "SIG$sig, $mode temporaries: nothing left, status 128+n" "
			interrupt $sig env $env pal-cat -o out.pal &&
			interrupt $sig env $env pal-gen --perturb 0.1 -o out.pal &&
			interrupt $sig env $env pal-select --top 1 --by std --rest rest.pal -o out.pal &&
			interrupt $sig env $env pal-label --builtin branin -o out.pal
		"
	done
done

test_expect_success 'SIGKILL leaves no temporary (O_TMPFILE)' '
	interrupt KILL pal-cat -o out.pal &&
	interrupt KILL pal-gen --perturb 0.1 -o out.pal &&
	interrupt KILL pal-select --top 1 --by std --rest rest.pal -o out.pal &&
	interrupt KILL pal-label --builtin branin -o out.pal
'

test_expect_success 'a finished run still replaces an existing output, in both modes' '
	echo old >o1.pal && echo old >o2.pal &&
	pal-cat -o o1.pal in.pal &&
	PAL_NO_TMPFILE=1 pal-cat -o o2.pal in.pal &&
	cmp in.pal o1.pal && cmp in.pal o2.pal &&
	test -z "$(ls | grep "\.tmp")"
'

test_expect_success 'a new output gets mode 0666 less the umask, in both modes' '
	rm -f m1.pal m2.pal &&
	(umask 027 && pal-cat -o m1.pal in.pal && PAL_NO_TMPFILE=1 pal-cat -o m2.pal in.pal) &&
	test "$(stat -c %a m1.pal) $(stat -c %a m2.pal)" = "640 640"
'

test_expect_success 'a signal ignored at the start (nohup) stays ignored' '
	rm -f out.pal* && hold fifo &&
	{ (trap "" HUP; exec env PAL_NO_TMPFILE=1 pal-cat -o out.pal <fifo) & pid=$!; } &&
	wait_output $pid && kill -HUP $pid && sleep 0.2 &&
	kill -0 $pid && ls out.pal.tmp* >/dev/null &&
	kill -TERM $pid; wait $pid; rc=$?; kill $holder; wait $holder
	test $rc -eq 143 && test -z "$(ls | grep "^out\.pal")"
'

# A unique name for the command, so that pgrep finds it and nothing else.
marker() {
	m=sleep-pal-t060-$$-$1
	ln -sf "$(command -v sleep)" ./$m
}

# exec_killed SIG CMD PROGRAM ARGS...: PROGRAM runs CMD (through --exec),
# gets SIG, and CMD must not outlive it.
exec_killed() {
	sig=$1 cmd=$2
	shift 2
	rm -f out.pal*
	run_bg "$@" --exec "$cmd" -o out.pal
	i=0
	while ! pgrep -f "^\./$m" >/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	pgrep -f "^\./$m" >/dev/null || { echo "$cmd never started" >&2; return 1; }
	kill -"$sig" $pid
	wait $pid
	rc=$?
	wait_gone "^\./$m" || return 1
	test $rc -eq $((128 + $(signum "$sig"))) ||
		{ echo "exit status $rc after SIG$sig" >&2; return 1; }
	test -z "$(ls | grep "^out\.pal")"
}

for sig in TERM KILL INT HUP; do
	test_expect_success "pal-gen --exec: SIG$sig kills the command" "
		marker gen$sig &&
		exec_killed $sig \"./\$m 1000\" pal-gen
	"
done

test_expect_success 'pal-gen --exec: SIGTERM kills the whole process group' '
	marker gengroup &&
	exec_killed TERM "./$m 1000; echo x" pal-gen &&
	marker gengroup2 &&
	exec_killed INT "./$m 1000 & ./$m 1001; wait" pal-gen
'

for sig in TERM KILL; do
	test_expect_success "pal-label --exec: SIG$sig kills the oracles" "
		marker label$sig &&
		exec_killed $sig \"./\$m 1000\" pal-label -j 2 --outputs 1 in.pal
	"
done

test_expect_success 'pal-gen --exec: a failing run kills what its command left' '
	marker genfail &&
	must_fail 1 pal-gen --exec "./$m 1000 & echo not a header" -o out.pal 2>err &&
	test_grep "bad output from command" err &&
	wait_gone "^\./$m" && test -z "$(ls | grep "^out\.pal")"
'

test_done
