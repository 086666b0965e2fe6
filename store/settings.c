/* The repository's settings file (.benchgate.json): found, parsed with
 * cJSON and checked, each bad entry reported with its file and line. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_model.h"
#include "bg_settings.h"

void bg__settings_init(bg_settings *s)
{
    memset(s, 0, sizeof *s);
    s->threshold_pct = NAN;
}

void bg__settings_free(bg_settings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nrules; i++)
        free(s->rules[i].match);
    free(s->rules);
    for (size_t i = 0; i < s->nlimits; i++)
        free(s->limits[i]);
    free(s->limits);
    free(s->limit_lines);
    bg__settings_init(s);
}

/* The line (from 1) of byte offset `off` in text. */
static int line_at(const char *text, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && text[i]; i++)
        line += text[i] == '\n';
    return line;
}

/* Skips a JSON string starting at text[i] == '"'; returns the index after
 * its closing quote. */
static size_t skip_string(const char *text, size_t i)
{
    for (i++; text[i] && text[i] != '"'; i++)
        if (text[i] == '\\' && text[i + 1])
            i++;
    return text[i] ? i + 1 : i;
}

/* Where member `key` of the top-level object is written (its name's
 * offset), and with index >= 0 where element `index` of its array value
 * begins. cJSON keeps no positions, so the text is scanned again: strings
 * skipped, depth counted. Returns 0 when not found (the first line). */
static size_t locate(const char *text, const char *key, int index)
{
    size_t klen = strlen(key);
    int depth = 0;
    for (size_t i = 0; text[i]; i++) {
        char c = text[i];
        if (c == '"') {
            size_t end = skip_string(text, i);
            if (depth == 1 && end - i - 2 == klen && !strncmp(text + i + 1, key, klen)) {
                size_t j = end;
                while (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r')
                    j++;
                if (text[j] == ':') {
                    if (index < 0)
                        return i;
                    /* Find element `index` of the array that follows. */
                    j++;
                    while (text[j] && text[j] != '[')
                        j++;
                    int d = 0, n = 0;
                    bool at_start = true;
                    for (size_t k = j; text[k]; k++) {
                        char ch = text[k];
                        if (d == 1 && at_start && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' &&
                            ch != ',' && ch != '[' && ch != ']') {
                            if (n == index)
                                return k;
                            at_start = false;
                        }
                        if (ch == '"') {
                            k = skip_string(text, k) - 1;
                            continue;
                        }
                        if (ch == '[' || ch == '{')
                            d++;
                        else if (ch == ']' || ch == '}') {
                            if (--d == 0)
                                return i;
                        } else if (ch == ',' && d == 1) {
                            n++;
                            at_start = true;
                        }
                    }
                    return i;
                }
            }
            i = end - 1;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
    }
    return 0;
}

static int bad(char *err, size_t errlen, const char *path, const char *text, size_t off, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%d: %s", path, line_at(text, off), what);
    return BG_EPARSE;
}

static int parse_threshold(const cJSON *x, double *out)
{
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || x->valuedouble < 0 || x->valuedouble > 1000)
        return -1;
    *out = x->valuedouble;
    return 0;
}

static int parse_rules(const cJSON *arr, const char *text, const char *path, bg_settings *s, char *err,
                       size_t errlen)
{
    size_t at = locate(text, "benchmarks", -1);
    if (!cJSON_IsArray(arr))
        return bad(err, errlen, path, text, at, "\"benchmarks\" must be an array of rules such as "
                                                "{\"match\": \"sort_*\", \"threshold\": 5}");
    size_t n = (size_t)cJSON_GetArraySize(arr);
    s->rules = calloc(n ? n : 1, sizeof *s->rules);
    if (!s->rules)
        return BG_ENOMEM;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        size_t off = locate(text, "benchmarks", i);
        if (!cJSON_IsObject(e))
            return bad(err, errlen, path, text, off, "benchmarks[%d] is not an object", i);
        bg_rule *r = &s->rules[s->nrules];
        r->threshold_pct = NAN;
        r->line = line_at(text, off);
        const cJSON *m = NULL;
        const cJSON *x;
        cJSON_ArrayForEach(x, e)
        {
            if (!strcmp(x->string, "match"))
                m = x;
            else if (!strcmp(x->string, "threshold")) {
                if (parse_threshold(x, &r->threshold_pct))
                    return bad(err, errlen, path, text, off,
                               "benchmarks[%d]: \"threshold\" must be a number of percent from 0 to 1000", i);
            } else if (!strcmp(x->string, "ignore")) {
                if (!cJSON_IsBool(x))
                    return bad(err, errlen, path, text, off, "benchmarks[%d]: \"ignore\" must be true or false",
                               i);
                r->ignore = cJSON_IsTrue(x);
            } else if (!strcmp(x->string, "metric")) {
                if (!cJSON_IsString(x) || !x->valuestring[0] || strlen(x->valuestring) >= sizeof r->metric)
                    return bad(err, errlen, path, text, off,
                               "benchmarks[%d]: \"metric\" must be a metric's name (time, cpu, a counter)", i);
                snprintf(r->metric, sizeof r->metric, "%s", x->valuestring);
            } else {
                return bad(err, errlen, path, text, off,
                           "benchmarks[%d]: unknown key \"%s\" (match, threshold, metric, ignore)", i, x->string);
            }
        }
        if (!cJSON_IsString(m) || !m->valuestring[0])
            return bad(err, errlen, path, text, off,
                       "benchmarks[%d] has no \"match\" (a glob of benchmark names, e.g. \"sort_*\")", i);
        if (isnan(r->threshold_pct) && !r->ignore && !r->metric[0])
            return bad(err, errlen, path, text, off,
                       "benchmarks[%d] (\"%s\") sets none of \"threshold\", \"metric\" and \"ignore\"",
                       i, m->valuestring);
        r->match = strdup(m->valuestring);
        if (!r->match)
            return BG_ENOMEM;
        s->nrules++;
        i++;
    }
    return 0;
}

int bg__settings_parse(const char *text, const char *path, bg_settings *s, char *err, size_t errlen)
{
    bg__settings_init(s);
    snprintf(s->path, sizeof s->path, "%s", path);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, true);
    if (!root) {
        size_t off = end ? (size_t)(end - text) : 0;
        return bad(err, errlen, path, text, off, "not valid JSON here");
    }
    int rc = 0;
    if (!cJSON_IsObject(root))
        rc = bad(err, errlen, path, text, 0, "the settings must be a JSON object");
    const cJSON *x;
    const cJSON *obj = cJSON_IsObject(root) ? root : NULL;
    cJSON_ArrayForEach(x, obj)
    {
        if (rc)
            break;
        size_t off = locate(text, x->string, -1);
        if (!strcmp(x->string, "threshold")) {
            if (parse_threshold(x, &s->threshold_pct))
                rc = bad(err, errlen, path, text, off, "\"threshold\" must be a number of percent from 0 to 1000");
        } else if (!strcmp(x->string, "metric")) {
            if (!cJSON_IsString(x) || !x->valuestring[0] || strlen(x->valuestring) >= sizeof s->metric)
                rc = bad(err, errlen, path, text, off, "\"metric\" must be a metric's name (time, cpu, a counter)");
            else
                snprintf(s->metric, sizeof s->metric, "%s", x->valuestring);
        } else if (!strcmp(x->string, "benchmarks")) {
            rc = parse_rules(x, text, path, s, err, errlen);
        } else if (!strcmp(x->string, "limits")) {
            size_t n = cJSON_IsArray(x) ? (size_t)cJSON_GetArraySize(x) : 0;
            if (!cJSON_IsArray(x)) {
                rc = bad(err, errlen, path, text, off, "\"limits\" must be an array of \"GLOB:METRIC<=VALUE\" strings");
                break;
            }
            s->limits = calloc(n ? n : 1, sizeof *s->limits);
            s->limit_lines = calloc(n ? n : 1, sizeof *s->limit_lines);
            if (!s->limits || !s->limit_lines) {
                rc = BG_ENOMEM;
                break;
            }
            int i = 0;
            const cJSON *l;
            cJSON_ArrayForEach(l, x)
            {
                if (!cJSON_IsString(l) || !strpbrk(l->valuestring, "<>")) {
                    rc = bad(err, errlen, path, text, locate(text, "limits", i),
                             "limits[%d] is not a \"GLOB:METRIC<=VALUE\" string", i);
                    break;
                }
                if (!(s->limits[s->nlimits] = strdup(l->valuestring))) {
                    rc = BG_ENOMEM;
                    break;
                }
                s->limit_lines[s->nlimits] = line_at(text, locate(text, "limits", i));
                s->nlimits++;
                i++;
            }
        } else {
            rc = bad(err, errlen, path, text, off,
                     "unknown key \"%s\" (threshold, metric, benchmarks, limits)", x->string);
        }
    }
    cJSON_Delete(root);
    if (rc) {
        bg__settings_free(s);
        snprintf(s->path, sizeof s->path, "%s", path);
    }
    return rc;
}

/* Reads a whole file into a new string; NULL with errno on failure. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            if (cap > (1u << 24)) { /* 16 MiB: not a settings file */
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad_read = ferror(f);
    fclose(f);
    if (bad_read) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        errno = EILSEQ; /* a NUL byte: not text */
        return NULL;
    }
    return buf;
}

int bg__settings_load(const char *path, bg_settings *s, char *err, size_t errlen)
{
    bg__settings_init(s);
    char found[PATH_MAX + 32];
    if (path) {
        snprintf(found, sizeof found, "%s", path);
    } else {
        char dir[PATH_MAX];
        if (!getcwd(dir, sizeof dir))
            return 0;
        for (;;) {
            struct stat st;
            snprintf(found, sizeof found, "%s/%s", strcmp(dir, "/") ? dir : "", BG_SETTINGS_FILE);
            if (stat(found, &st) == 0)
                break;
            char git[PATH_MAX + 8];
            snprintf(git, sizeof git, "%s/.git", strcmp(dir, "/") ? dir : "");
            char *slash = strrchr(dir, '/');
            if (stat(git, &st) == 0 || !slash || !strcmp(dir, "/"))
                return 0; /* the top of the work tree, or of the file system: none */
            if (slash == dir)
                slash[1] = '\0';
            else
                *slash = '\0';
        }
    }
    char *text = slurp(found);
    if (!text) {
        snprintf(err, errlen, "%s: cannot read the settings: %s", found, strerror(errno));
        return BG_EIO;
    }
    int rc = bg__settings_parse(text, found, s, err, errlen);
    free(text);
    return rc;
}

const bg_rule *bg__settings_rule(const bg_settings *s, const char *bench)
{
    for (size_t i = 0; s && bench && i < s->nrules; i++)
        if (fnmatch(s->rules[i].match, bench, 0) == 0)
            return &s->rules[i];
    return NULL;
}

const char *bg__settings_metric(const bg_settings *s, const char *bench, const char *suite)
{
    const bg_rule *r = bg__settings_rule(s, bench);
    return r && r->metric[0] ? r->metric : suite;
}
