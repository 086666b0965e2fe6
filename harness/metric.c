/* Named per-sample metrics of a result: the one place that knows which
 * recorded array a metric name refers to, so comparisons, the gate and the
 * reports can work on any of them the same way time is worked on. */
#include <string.h>

#include "bg_harness.h"

const double *bg__proc_metric(const bg_result *r, size_t proc, const char *metric)
{
    if (!r || proc >= r->nprocs)
        return NULL;
    const bg_proc *p = &r->procs[proc];
    if (!metric || !strcmp(metric, "time") || !strcmp(metric, "wall_ns"))
        return p->wall_ns;
    if (!strcmp(metric, "cpu") || !strcmp(metric, "cpu_ns"))
        return p->cpu_ns;
    return NULL;
}

const char *bg__metric_unit(const char *metric)
{
    if (!metric || !strcmp(metric, "time") || !strcmp(metric, "wall_ns") || !strcmp(metric, "cpu") ||
        !strcmp(metric, "cpu_ns"))
        return "ns";
    return "";
}
