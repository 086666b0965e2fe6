/* Collects the machine fingerprint (CPU, cores, kernel, OS, compiler, flags) and derives a short machine id from it. */
#include "bg_fingerprint.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bg_config.h"

/* Copies src into a fixed array, truncating; dst is always terminated. */
static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Strips leading and trailing white space in place; returns s advanced. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Reads the value of the first line "key<spaces>SEP value" of a file into out.
 * Returns 1 when found. Quotes around the value are removed. */
static int read_keyed_line(const char *path, const char *key, char sep, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    size_t klen = strlen(key);
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *p = line + klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != sep)
            continue;
        char *v = trim(p + 1);
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
            v[n - 1] = '\0';
            v++;
        }
        if (*v) {
            copy_field(out, cap, v);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

uint64_t bg_fnv1a64(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Hashes a string including its terminator, so field boundaries count. */
static uint64_t hash_str(const char *s, uint64_t h)
{
    return bg_fnv1a64(s, strlen(s) + 1, h);
}

void bg_fingerprint_update_id(bg_fingerprint *fp)
{
    char cores[32];
    snprintf(cores, sizeof cores, "%d", fp->cores);
    uint64_t h = BG_FNV1A64_INIT;
    h = hash_str(fp->cpu_model, h);
    h = hash_str(cores, h);
    h = hash_str(fp->kernel, h);
    h = hash_str(fp->compiler, h);
    h = hash_str(fp->flags, h);
    h = hash_str(fp->version, h);
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
    memcpy(fp->id, hex, BG_FP_ID_LEN);
    fp->id[BG_FP_ID_LEN] = '\0';
}

int bg_fingerprint_collect(bg_fingerprint *fp, const char *compiler, const char *flags)
{
    if (!fp)
        return BG_EINVAL;
    memset(fp, 0, sizeof *fp);

    struct utsname u;
    int have_uname = uname(&u) == 0;

    if (!read_keyed_line("/proc/cpuinfo", "model name", ':', fp->cpu_model, sizeof fp->cpu_model))
        copy_field(fp->cpu_model, sizeof fp->cpu_model, have_uname ? u.machine : "unknown");

    /* Online logical CPUs: what the scheduler can give the benchmark. */
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    fp->cores = n > 0 ? (int)n : 0;

    copy_field(fp->kernel, sizeof fp->kernel, have_uname ? u.release : "unknown");
    copy_field(fp->arch, sizeof fp->arch, have_uname ? u.machine : "unknown");
    if (!read_keyed_line("/etc/os-release", "PRETTY_NAME", '=', fp->os, sizeof fp->os))
        copy_field(fp->os, sizeof fp->os, have_uname ? u.sysname : "unknown");

    copy_field(fp->compiler, sizeof fp->compiler, compiler && *compiler ? compiler : BG_COMPILER);
    copy_field(fp->flags, sizeof fp->flags, flags);
    copy_field(fp->version, sizeof fp->version, BG_VERSION);
    bg_fingerprint_update_id(fp);
    return BG_OK;
}

/* Appends formatted text to msg at *used, never past cap. */
static void append(char *msg, size_t cap, size_t *used, const char *fmt, ...)
{
    if (!msg || cap == 0 || *used >= cap - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(msg + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (w > 0)
        *used += (size_t)w < cap - *used ? (size_t)w : cap - 1 - *used;
}

static void note_diff(char *msg, size_t cap, size_t *used, int *ndiff, const char *field,
                      const char *a, const char *b)
{
    append(msg, cap, used, "%s%s '%s' vs '%s'", *ndiff ? "; " : "machine differs: ", field, a, b);
    (*ndiff)++;
}

int bg_fingerprint_compare(const bg_fingerprint *a, const bg_fingerprint *b, char *msg, size_t msglen)
{
    size_t used = 0;
    int ndiff = 0;
    if (msg && msglen)
        msg[0] = '\0';
    if (!a || !b)
        return a == b ? 0 : 1;

    if (strcmp(a->cpu_model, b->cpu_model) != 0)
        note_diff(msg, msglen, &used, &ndiff, "cpu_model", a->cpu_model, b->cpu_model);
    if (a->cores != b->cores) {
        char ca[32], cb[32];
        snprintf(ca, sizeof ca, "%d", a->cores);
        snprintf(cb, sizeof cb, "%d", b->cores);
        note_diff(msg, msglen, &used, &ndiff, "cores", ca, cb);
    }
    if (strcmp(a->kernel, b->kernel) != 0)
        note_diff(msg, msglen, &used, &ndiff, "kernel", a->kernel, b->kernel);
    if (strcmp(a->compiler, b->compiler) != 0)
        note_diff(msg, msglen, &used, &ndiff, "compiler", a->compiler, b->compiler);
    if (strcmp(a->flags, b->flags) != 0)
        note_diff(msg, msglen, &used, &ndiff, "flags", a->flags, b->flags);
    bool version_differs = strcmp(a->version, b->version) != 0;
    if (version_differs)
        note_diff(msg, msglen, &used, &ndiff, "benchgate version", a->version, b->version);
    if (ndiff == 1 && version_differs) {
        /* Only the version: the same machine, in a history of its own. */
        const char *other = strcmp(a->version, BG_VERSION) != 0 ? a->version : b->version;
        used = 0;
        if (msg && msglen)
            msg[0] = '\0';
        if (strcmp(a->version, BG_VERSION) != 0 && strcmp(b->version, BG_VERSION) != 0)
            append(msg, msglen, &used, "machine differs only in the benchgate version: made by benchgate %s and "
                   "%s, this is %s", a->version, b->version, BG_VERSION);
        else
            append(msg, msglen, &used, "machine differs only in the benchgate version: made by benchgate %s, "
                   "this is %s", other, BG_VERSION);
        append(msg, msglen, &used, ": a new version starts a new history; --force compares anyway");
    }
    if (ndiff == 0 && strcmp(a->id, b->id) != 0) {
        /* Equal fields, different ids: an id computed from other fields
         * (before the benchgate version was one of them) or edited. */
        bg_fingerprint ra = *a, rb = *b;
        bg_fingerprint_update_id(&ra);
        bg_fingerprint_update_id(&rb);
        const bg_fingerprint *old = strcmp(ra.id, a->id) != 0 ? a : strcmp(rb.id, b->id) != 0 ? b : NULL;
        if (old) {
            append(msg, msglen, &used, "machine differs only in its id: id '%s' was computed by a benchgate %s "
                   "from before the benchgate version was part of the id, this is %s: a new version starts a new "
                   "history; --force compares anyway", old->id, old->version[0] ? old->version : "(unknown)",
                   BG_VERSION);
            ndiff++;
        } else {
            note_diff(msg, msglen, &used, &ndiff, "id", a->id, b->id);
        }
    }
    return ndiff;
}
