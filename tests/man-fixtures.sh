# man-fixtures.sh: the input files that the EXAMPLES of the man pages name,
# made in the current directory.  Sourced by t040-man.sh before each page.
printf 'x.0,x.1,y\n1,2,3\n4,5,6\n7,8,9\n' >data.csv
printf 'x.0,x.1\n0.5,0.25\n0.125,1\n' | pal-cat --from csv -o a.pal
printf 'x.0,x.1\n2,3\n4,5\n' | pal-cat --from csv -o b.pal
printf 'step,energy\n1,-1.5\n2,-1.75\n3,-1.875\n' >runs.csv
printf 'id,x.0,x.1,mean,std\n1,0.1,0.2,0.5,0.3\n2,0.8,0.1,-0.2,0.05\n3,0.4,0.9,0.1,0.2\n4,0.5,0.5,-1,0.6\n' | pal-cat --from csv -o pred.pal
printf 'id,x.0,x.1,y\n3,0.4,0.9,0.25\n9,0.9,0.9,1.5\n' | pal-cat --from csv -o labeled.pal
pal-gen --method sobol --n 16 --bounds -5:10,0:15 --skip 1 -o cand.pal
# a model, until pal-train writes one: tests/helpers/pal-model-rt.c
pal-model-rt write >model.pal
pal-model-rt gp rbf 30 2 1 >gp.pal
printf '#!/bin/sh\n# a stand-in simulation: y = x0 + x1 for each line of x\nexec awk "{ print \\$1 + \\$2 }"\n' >simulate
chmod +x simulate
cp "$TOP/examples/toy/toy.conf" toy.conf
# The examples name mpirun as on a cluster; here, as root on few cores,
# Open MPI needs leave to run as root and to oversubscribe.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM \
	OMPI_MCA_rmaps_base_oversubscribe
