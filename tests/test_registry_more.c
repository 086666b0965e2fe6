/* A second file of the registry test binary: its BENCH()es must register too. */
#include "benchgate.h"

BENCH(mu_there) { BENCH_LOOP(b) {} }
BENCH(beta_there) { BENCH_LOOP(b) {} }
