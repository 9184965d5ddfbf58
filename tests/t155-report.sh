#!/bin/sh
# A campaign's report.html (libcommon/report.c, issue 9 "Seeing it"), through
# tests/helpers/pal-report-rt (report_write, as pal-orchestrate --report
# calls it): a synthetic campaign made by tests/helpers/fake-campaign.py,
# its page checked by tests/helpers/check-report.py (well-formed, the
# numbers of the tables, one point per generation with NaNs left out,
# escaping, nothing outside the page), the errors of bad tables, memory
# bounded in the number of events, and the page opened in headless
# Chromium: a screenshot that is not blank and no console error.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
FAKE="$PY $TESTS/helpers/fake-campaign.py"
CHECK="$PY $TESTS/helpers/check-report.py"
if ! [ -x $PY ]; then
	test_skip 'campaign report' "no $PY"
	test_done
fi

$FAKE c 10 200 || exit 1

test_expect_success 'a campaign: report.html with its curves and numbers' '
	pal-report-rt c &&
	$CHECK html c &&
	test "$(ls -a c | grep -c tmp)" -eq 0
'

test_expect_success 'written again over the old one' '
	cp c/report.html old.html &&
	printf "10\t220\t110\t2\t7\t0.05\t0.04\t0.07\t0.81\t0.95\t0.8\n" \
		>>c/metrics.tsv &&
	pal-report-rt c &&
	! cmp -s old.html c/report.html &&
	$CHECK html c
'

test_expect_success 'no generation yet: a page that says so' '
	mkdir e &&
	printf "generation\tlabels\tval_rmse\n" >e/metrics.tsv &&
	pal-report-rt e &&
	$CHECK empty e &&
	: >e/metrics.tsv &&
	printf "t_start\tt_end\tstage\trank\n" >e/events.tsv &&
	pal-report-rt e &&
	$CHECK empty e
'

test_expect_success 'a bad line: an error naming file and line, old report kept' '
	cp -r c bad &&
	cp bad/report.html before.html &&
	printf "11\t240\t120\t2\t7\toops\t0.04\t0.07\t0.81\t0.95\t0.8\n" \
		>>bad/metrics.tsv &&
	must_fail 1 pal-report-rt bad 2>err &&
	echo "pal-report-rt: bad value '"'"'oops'"'"' for val_rmse: not a number (bad/metrics.tsv:13)" >expect &&
	test_cmp expect err &&
	test_cmp before.html bad/report.html &&
	test "$(ls -a bad | grep -c tmp)" -eq 0 &&
	$FAKE bad2 3 30 &&
	printf "1\t2\tlabel\t0\t1\n" >>bad2/events.tsv &&
	must_fail 1 pal-report-rt bad2 2>err &&
	echo "pal-report-rt: 5 fields where the header has 8 (bad2/events.tsv:32)" >expect &&
	test_cmp expect err &&
	test ! -e bad2/report.html &&
	mkdir none &&
	must_fail 1 pal-report-rt none 2>err &&
	echo "pal-report-rt: cannot open '"'"'none/metrics.tsv'"'"': No such file or directory" >expect &&
	test_cmp expect err &&
	test "$(ls -a none | wc -l)" -eq 2
'

# rss N: max RSS in KiB of the report of 100 generations and N events
rss() {
	rm -rf big && $FAKE big 100 "$1" 8 &&
	/usr/bin/time -f %M -o rss.$1 pal-report-rt big && cat rss.$1
}
if [ -x /usr/bin/time ]; then
	test_expect_success 'memory does not grow with the events: 1k and 100k' '
		a=$(rss 1000) && b=$(rss 100000) &&
		echo "max RSS $a KiB at 1k events, $b KiB at 100k" &&
		test "$b" -lt $((a + 1024))
	'
else
	test_skip 'memory does not grow with the events' 'no /usr/bin/time'
fi

# chrome URL PNG [HEIGHT]: a screenshot (800 x HEIGHT, default 2600) and the log of its console (chrome.err,
# where each console message is an "INFO:CONSOLE" line; a resource that
# fails to load is not one, which is why check-report.py refuses any src,
# href or url() in the page); a profile of its own in the scratch
# directory, none in $HOME
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-dev-shm-usage --user-data-dir="$PWD/profile" \
		--hide-scrollbars --enable-logging=stderr --v=0 \
		--window-size=800,${3:-2600} --screenshot="$PWD/$2" "$1" \
		>/dev/null 2>chrome.err
}
if ! command -v chromium >/dev/null 2>&1; then
	test_skip 'report.html in headless chromium' 'no chromium'
	test_done
fi

test_expect_success 'the console check sees an error where there is one' '
	echo "<!DOCTYPE html><p>x<script>undefinedfn()</script>" >js.html &&
	chrome "file://$PWD/js.html" js.png &&
	grep -q "CONSOLE.*undefinedfn" chrome.err
'

test_expect_success 'the screenshot check sees a blank page as blank' '
	echo "<!DOCTYPE html><title>blank</title>" >blank.html &&
	chrome "file://$PWD/blank.html" blank.png &&
	test -s blank.png &&
	! $CHECK png blank.png
'

test_expect_success 'headless chromium: a screenshot with the curves, no console error' '
	pal-report-rt c &&
	chrome "file://$PWD/c/report.html" shot.png &&
	$CHECK png shot.png &&
	if grep "CONSOLE" chrome.err; then exit 1; fi
'

# Real campaigns, one per policy (the batch one with its random baseline):
# their report.html checked as the synthetic one, and opened in chromium.
cat >real.conf <<'EOF'
budget = 30
initial = 10
batch = 5
candidates = 100
seed = 4
bounds = -5:10,0:15
[label]
builtin = branin
[train]
members = 2
layers = 8
epochs = 60
EOF
for policy in batch stream; do
	test_expect_success "a real $policy campaign: its report in headless chromium" "
		base= && test $policy = stream || base='--set baseline=yes' &&
		pal-orchestrate --quiet --config real.conf --policy $policy \$base r-$policy &&
		\$CHECK html r-$policy &&
		chrome \"file://\$PWD/r-$policy/report.html\" r-$policy.png 6000 &&
		\$CHECK png r-$policy.png &&
		if grep CONSOLE chrome.err; then exit 1; fi
	"
done

test_done
