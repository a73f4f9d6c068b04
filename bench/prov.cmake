# Provisioning benchmark: bench_provision.sh drives scsd + amtsim fleets (not a C
# program, so scripts/bench.sh does not pick it up): run
#   bench/bench_provision.sh BUILD_DIR
# Nothing to build here beyond scsd, amtsim, scsctl and prov_regtool.
