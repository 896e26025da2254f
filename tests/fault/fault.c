/* Fault injection for tests/faults.rs, loaded with LD_PRELOAD into the amanat CLI.
 *
 * Counts every write, fsync and rename the process makes on regular files (and renames),
 * and makes the AMANAT_FAULT_AT-th one fail with errno AMANAT_FAULT_ERRNO (EIO by default),
 * as a failing disk or a full one would. With AMANAT_FAULT_COUNT=FILE it only counts and
 * writes the count to FILE at exit, so the test knows how many points a path has. With
 * AMANAT_FAULT_FIRED=FILE it writes there, at exit, which call and file the fault hit. With
 * AMANAT_FAULT_KILL=1 the process is killed (SIGKILL) at that call instead, before it is made:
 * a crash at exactly that point (tests/crash_batches.rs). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long counter;
static long fail_at = -1;
static int fail_errno = EIO;
static int kill_on_hit;
static int armed;
static int finishing;
/* What the injected fault hit: the call and the file, reported at exit. */
static char fired[512];

__attribute__((constructor)) static void init(void) {
    const char *at = getenv("AMANAT_FAULT_AT");
    const char *err = getenv("AMANAT_FAULT_ERRNO");
    if (at) fail_at = atol(at);
    if (err) fail_errno = atoi(err);
    kill_on_hit = getenv("AMANAT_FAULT_KILL") != NULL;
    armed = at != NULL || getenv("AMANAT_FAULT_COUNT") != NULL;
}

__attribute__((destructor)) static void fini(void) {
    const char *path = getenv("AMANAT_FAULT_COUNT");
    const char *fired_path = getenv("AMANAT_FAULT_FIRED");
    finishing = 1;
    if (fired_path && fired[0]) {
        FILE *f = fopen(fired_path, "w");
        if (f) {
            fprintf(f, "%s\n", fired);
            fclose(f);
        }
    }
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "%ld\n", __atomic_load_n(&counter, __ATOMIC_SEQ_CST));
    fclose(f);
}

static int regular(int fd) {
    struct stat st;
    return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether this call is the one that fails; if so, remembers what it was. */
static int hit_on(const char *call, int fd, const char *name) {
    if (!armed || finishing) return 0;
    if (__atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST) != fail_at) return 0;
    char link[64], target[400] = "";
    if (fd >= 0) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) target[n] = 0;
    } else if (name) {
        snprintf(target, sizeof target, "%s", name);
    }
    snprintf(fired, sizeof fired, "%s %s", call, target);
    if (kill_on_hit) raise(SIGKILL);
    return 1;
}
#define hit_fd(fd) hit_on(__func__, fd, NULL)

#define REAL(name) \
    static __typeof__(&name) real_##name; \
    if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n) {
    REAL(write);
    if (regular(fd) && hit_fd(fd)) { errno = fail_errno; return -1; }
    return real_write(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
    REAL(writev);
    if (regular(fd) && hit_fd(fd)) { errno = fail_errno; return -1; }
    return real_writev(fd, iov, cnt);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
    REAL(pwrite64);
    if (regular(fd) && hit_fd(fd)) { errno = fail_errno; return -1; }
    return real_pwrite64(fd, buf, n, off);
}

ssize_t copy_file_range(int in, off_t *inoff, int out, off_t *outoff, size_t n, unsigned int fl) {
    REAL(copy_file_range);
    if (regular(out) && hit_fd(out)) { errno = fail_errno; return -1; }
    return real_copy_file_range(in, inoff, out, outoff, n, fl);
}

int fsync(int fd) {
    REAL(fsync);
    if (hit_fd(fd)) { errno = fail_errno; return -1; }
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    if (hit_fd(fd)) { errno = fail_errno; return -1; }
    return real_fdatasync(fd);
}

int rename(const char *from, const char *to) {
    REAL(rename);
    if (hit_on(__func__, -1, from)) { errno = fail_errno; return -1; }
    return real_rename(from, to);
}

int renameat(int fd1, const char *from, int fd2, const char *to) {
    REAL(renameat);
    if (hit_on(__func__, -1, from)) { errno = fail_errno; return -1; }
    return real_renameat(fd1, from, fd2, to);
}
