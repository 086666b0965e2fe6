/* Whole files in and out: reading a file into memory, and writing one
 * atomically (temporary file, fsync, rename), for the record, the store and
 * every exporter. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_model.h"

char *bg__read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[65536];
    size_t k;
    while (mem && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fwrite(chunk, 1, k, mem) != k)
            break;
    int e = ferror(f) ? errno : 0;
    bool bad = e != 0 || !mem;
    fclose(f);
    if (mem && fclose(mem) != 0) {
        bad = true;
        e = errno;
    }
    if (bad) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(e ? e : EIO));
        free(buf);
        return NULL;
    }
    return buf;
}

int bg__write_file_atomic(const char *path, const char *data, size_t len, char *err,
                          size_t errlen)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        return BG_ENOMEM;
    }
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        free(tmp);
        return BG_EIO;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return BG_EIO;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return BG_EIO;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return BG_EIO;
    }
    free(tmp);
    return 0;
}
