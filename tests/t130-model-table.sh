#!/bin/sh
# libcommon's model files and tables (model.c, table.c) through the
# programs around them: a model written by the library survives pal-cat
# (passed through, compressed, decompressed) and reads back bit for bit; a
# flipped byte, a cut file and a data stream are refused with messages; a
# table gathers pal-label's output and CSV-made streams with the values
# pal-cat shows.  The driver is tests/helpers/pal-model-rt.c.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a model through pal-cat: the same bytes, the same model' '
	pal-model-rt write >m.pal &&
	pal-model-rt check m.pal >out && test_grep "^same model$" out &&
	pal-cat m.pal >m2.pal && cmp m.pal m2.pal &&
	pal-cat --compress=9 m.pal -o mz.pal && ! cmp -s m.pal mz.pal &&
	pal-model-rt check mz.pal >out && test_grep "^same model$" out &&
	pal-cat --decompress mz.pal -o md.pal && cmp m.pal md.pal
'

test_expect_success 'pal-cat --info shows the kind frame, the keys and theta' '
	pal-model-rt write >m.pal &&
	pal-cat --info m.pal >info &&
	test_grep "^meta     kind=model$" info &&
	test_grep "^meta     model_version=1$" info &&
	test_grep "^meta     layers=6,3$" info &&
	test_grep "^meta     array.theta=f32 4,43$" info &&
	test_grep "^theta  *f32  *43 " info
'

test_expect_success 'a flipped byte is refused by the checksums' '
	pal-model-rt write >m.pal &&
	cp m.pal bad.pal &&
	printf "\\377" | dd of=bad.pal bs=1 seek=100 conv=notrunc 2>/dev/null &&
	must_fail 1 pal-model-rt check bad.pal >out 2>err &&
	echo "pal-model-rt: header checksum mismatch (bad.pal: frame 1 at offset 88)" >want &&
	test_cmp want err && test ! -s out &&
	cp m.pal bad0.pal &&
	printf "\377" | dd of=bad0.pal bs=1 seek=60 conv=notrunc 2>/dev/null &&
	must_fail 1 pal-model-rt check bad0.pal 2>err &&
	test_grep "^pal-model-rt: payload checksum mismatch (bad0.pal: frame 0 at offset 0)" err
'

test_expect_success 'a cut model is refused' '
	pal-model-rt write >m.pal &&
	head -c 1000 m.pal >cut.pal &&
	must_fail 1 pal-model-rt check cut.pal 2>err &&
	test_grep "^pal-model-rt: truncated.*cut.pal" err
'

test_expect_success 'a data stream is not a model' '
	printf "x\n1\n" | pal-cat --from csv -o a.pal &&
	must_fail 1 pal-model-rt check a.pal 2>err &&
	echo "pal-model-rt: '"'"'a.pal'"'"' is not a model (it starts with a data frame, not kind=model)" >want &&
	test_cmp want err
'

test_expect_success 'a model is not labeled rows' '
	pal-model-rt write >m.pal &&
	must_fail 1 pal-model-rt table m.pal 2>err &&
	echo "pal-model-rt: '"'"'m.pal'"'"' is not labeled rows (its frame 0 says kind=model)" >want &&
	test_cmp want err
'

test_expect_success 'a table of pal-label output holds what pal-cat shows' '
	pal-gen --method sobol --n 40 --bounds -5:10,0:15 --skip 1 -o cand.pal &&
	pal-label --builtin branin -o lab.pal cand.pal &&
	pal-model-rt table lab.pal >t.tsv &&
	test_grep "^# n=40 read=40 failed=0 nonfinite=0 d=2 k=1 grad=no$" t.tsv &&
	pal-cat --columns id,x,y --to tsv lab.pal | sed 1d >want.tsv &&
	sed 1d t.tsv >got.tsv &&
	paste want.tsv got.tsv | awk -F "\t" "
		NF != 8 || \$1 != \$5 || \$2 != \$6 || \$3 != \$7 || \$4 != \$8 { bad = 1; print }
		END { exit bad || NR != 40 }"
'

test_expect_success 'failed rows are counted; a NaN label of status 0 is refused or, with -s, counted' '
	printf "id,x.0,x.1,y,status\n1,0.5,0.25,3,0\n2,1,2,nan,2\n5,0.125,1,-1.5,0\n7,3,4,nan,0\n" |
	pal-cat --from csv --type status=i32 --type id=u64 -o l.pal &&
	must_fail 1 pal-model-rt table l.pal >out 2>err &&
	echo "pal-model-rt: non-finite y in the row of id 7, whose status is 0 (l.pal: frame 0 at offset 0)" >want &&
	test_cmp want err &&
	pal-model-rt table -s l.pal >got &&
	printf "# n=2 read=4 failed=1 nonfinite=1 d=2 k=1 grad=no\n1\t0.5\t0.25\t3\n5\t0.125\t1\t-1.5\n" >want &&
	test_cmp want got
'

test_done
