/* Whole files in and out: reading a file into memory (regular files only,
 * up to a documented size), and writing one atomically (a temporary file
 * created exclusively in the target directory, fsync, rename), for the
 * record, the store and every exporter. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bg_model.h"

size_t bg__read_limit(void)
{
    const char *s = getenv("BENCHGATE_MAX_READ");
    if (s && *s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (!errno && *end == '\0' && v > 0)
            return (size_t)v;
    }
    return BG_READ_MAX;
}

/* What kind of file st is, for a message about a file that is not regular. */
static const char *file_kind(const struct stat *st)
{
    if (S_ISFIFO(st->st_mode))
        return "a FIFO";
    if (S_ISCHR(st->st_mode))
        return "a character device";
    if (S_ISBLK(st->st_mode))
        return "a block device";
    if (S_ISSOCK(st->st_mode))
        return "a socket";
    if (S_ISDIR(st->st_mode))
        return "a directory";
    return "not a regular file";
}

char *bg__read_file_ex(const char *path, unsigned flags, size_t *len, int *code, char *err,
                       size_t errlen)
{
    int dummy;
    if (!code)
        code = &dummy;
    if (len)
        *len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below
     * refuses it before anything is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
                            ((flags & BG_READ_NOFOLLOW) ? O_NOFOLLOW : 0));
    if (fd < 0) {
        int e = errno;
        if (err && errlen) {
            if (e == ELOOP && (flags & BG_READ_NOFOLLOW))
                snprintf(err, errlen, "cannot read %s: it is a symbolic link (only regular files "
                         "are read here); remove it", path);
            else
                snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        }
        *code = e == ENOENT ? BG_ENOTFOUND : BG_EIO;
        return NULL;
    }
    struct stat st;
    size_t limit = bg__read_limit();
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: it is %s, not a regular file; remove it",
                     path, file_kind(&st));
        close(fd);
        *code = BG_EIO;
        return NULL;
    }
    if ((uint64_t)st.st_size > (uint64_t)limit) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: it is %lld bytes, more than the limit of %zu "
                     "(BENCHGATE_MAX_READ raises it)", path, (long long)st.st_size, limit);
        close(fd);
        *code = BG_EIO;
        return NULL;
    }
    /* Back to blocking reads (a regular file never blocks anyway). */
    (void)fcntl(fd, F_SETFL, 0);
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: out of memory", path);
        close(fd);
        *code = BG_ENOMEM;
        return NULL;
    }
    int e = 0;
    for (;;) {
        if (n == cap) { /* the file grew while it was read */
            size_t nc = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            if (nc <= cap) {
                e = EFBIG;
                break;
            }
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                e = ENOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            e = errno;
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (e) {
        if (err && errlen) {
            if (e == EFBIG)
                snprintf(err, errlen, "cannot read %s: it is more than the limit of %zu bytes "
                         "(BENCHGATE_MAX_READ raises it)", path, limit);
            else
                snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        }
        free(buf);
        *code = e == ENOMEM ? BG_ENOMEM : BG_EIO;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    *code = 0;
    return buf;
}

char *bg__read_file(const char *path, char *err, size_t errlen)
{
    return bg__read_file_ex(path, 0, NULL, NULL, err, errlen);
}

static int write_all(int fd, const char *p, size_t left)
{
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* The directory part of path ("." when there is none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int bg__write_file_atomic(const char *path, const char *data, size_t len, char *err,
                          size_t errlen)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = dir_of(path);
    /* "<dir>/.<base>.XXXXXX.tmp": hidden (the store never lists it), and
     * created with O_CREAT|O_EXCL by mkostemps, so a symbolic link planted at
     * that name is never followed. */
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp || !dir) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(tmp);
        free(dir);
        return BG_ENOMEM;
    }
    snprintf(tmp, n, "%s/.%s.XXXXXX.tmp", dir, base);
    int fd = mkostemps(tmp, 4, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        free(tmp);
        free(dir);
        return BG_EIO;
    }
    mode_t mask = umask(0);
    umask(mask);
    int rc = 0;
    if (fchmod(fd, 0666 & ~mask) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        rc = BG_EIO;
    }
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        rc = BG_EIO;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        rc = BG_EIO;
    }
    if (rc != 0) {
        unlink(tmp);
    } else {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd); /* best effort: the file itself is already durable */
            close(dfd);
        }
    }
    free(tmp);
    free(dir);
    return rc;
}

int bg__append_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return BG_EIO;
    }
    int rc = 0;
    if (write_all(fd, data, len) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        if (S_ISREG(st.st_mode))
            (void)ftruncate(fd, st.st_size); /* no half summary left behind */
        rc = BG_EIO;
    }
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        rc = BG_EIO;
    }
    return rc;
}

size_t bg__sweep_stale_tmp(const char *dir, double max_age_s)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t removed = 0;
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] != '.' || len < 6 || strcmp(de->d_name + len - 4, ".tmp") != 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if ((double)(now - st.st_mtime) < max_age_s)
            continue; /* perhaps a save in progress */
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
