/* The verdict rule for one compared benchmark and the suite-wide p-value
 * corrections (Benjamini-Hochberg, Holm) applied before it. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_sort.h>

#include "bg_stats.h"

const char *bg_verdict_name(bg_verdict v)
{
    switch (v) {
    case BG_VERDICT_UNCHANGED:
        return "unchanged";
    case BG_VERDICT_IMPROVED:
        return "improved";
    case BG_VERDICT_REGRESSED:
        return "regressed";
    case BG_VERDICT_INCONCLUSIVE:
        return "inconclusive";
    }
    return "unknown";
}

/* The rule documented in bg_stats.h. NaN anywhere (and a NULL change) makes
 * every comparison false, so such input is "inconclusive", never a verdict
 * that would pass or fail a gate by accident. */
bg_verdict bg_decide(const bg_change *c, double p_adj, double threshold, double alpha)
{
    if (!c)
        return BG_VERDICT_INCONCLUSIVE;
    int significant = p_adj < alpha;
    if (significant && c->lo > 0.0 && c->change > threshold)
        return BG_VERDICT_REGRESSED;
    if (significant && c->hi < 0.0 && c->change < -threshold)
        return BG_VERDICT_IMPROVED;
    if (c->lo > -threshold && c->hi < threshold)
        return BG_VERDICT_UNCHANGED;
    return BG_VERDICT_INCONCLUSIVE;
}

/* Adjusted p-values as R's p.adjust(p, "BH") / p.adjust(p, "holm"):
 *   BH   : p_(i) * n / i, made monotone by a running minimum from the largest
 *          p downwards (step-up), capped at 1;
 *   Holm : p_(i) * (n - i + 1), made monotone by a running maximum from the
 *          smallest p upwards (step-down), capped at 1;
 * where p_(1) <= ... <= p_(n). Tied p-values receive equal adjusted values
 * whatever their order, so an unstable sort is fine. */
int bg_p_adjust(const double *p, size_t n, bg_padjust method, double *out)
{
    if (!p || !out)
        return BG_EINVAL;
    if (method != BG_PADJ_BH && method != BG_PADJ_HOLM && method != BG_PADJ_NONE)
        return BG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!(p[i] >= 0.0 && p[i] <= 1.0)) /* also rejects NaN */
            return BG_EINVAL;
    if (method == BG_PADJ_NONE || n == 0) {
        for (size_t i = 0; i < n; i++)
            out[i] = p[i];
        return BG_OK;
    }
    size_t *order = malloc(n * sizeof *order);
    double *adj = malloc(n * sizeof *adj);
    if (!order || !adj) {
        free(order);
        free(adj);
        return BG_ENOMEM;
    }
    gsl_sort_index(order, p, 1, n); /* p[order[0]] is the smallest */
    double dn = (double)n;
    if (method == BG_PADJ_BH) {
        double run = 1.0;
        for (size_t r = n; r-- > 0;) {
            double v = p[order[r]] * dn / (double)(r + 1);
            if (v < run)
                run = v;
            adj[order[r]] = run;
        }
    } else {
        double run = 0.0;
        for (size_t r = 0; r < n; r++) {
            double v = p[order[r]] * (dn - (double)r);
            if (v > 1.0)
                v = 1.0;
            if (v > run)
                run = v;
            adj[order[r]] = run;
        }
    }
    /* Only now write out: out may alias p. */
    for (size_t i = 0; i < n; i++)
        out[i] = adj[i];
    free(order);
    free(adj);
    return BG_OK;
}
