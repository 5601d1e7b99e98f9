/* Memory a job holds that no process's resident set shows, for pid 1's accounting when there is no
 * cgroup: files in the namespace's tmpfs mounts (/tmp, /dev/shm), memfds held open (written with write(),
 * never mapped), and System V shared memory segments (kept with no process attached). A cgroup charges
 * all of these to the job; without one, summing RSS alone let a job keep 256 MiB in a memfd under a
 * 64 MiB limit. Mapped shared memory may be counted twice (in RSS and here): the error is on the side
 * of the limit. Runs in pid 1 under the job's seccomp filter: plain system calls, no allocation. */
#include "internal.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TMPFS_MAGIC 0x01021994

static bool starts_with(const char *s, const char *prefix) {
    while (*prefix) if (*s++ != *prefix++) return false;
    return true;
}

/* Reads a small /proc file whole into `buf` (NUL-terminated); false when it cannot. */
static bool read_small(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = 0;
    return true;
}

/* Used bytes of every tmpfs mount point listed in /proc/self/mounts (each counted once). */
static uint64_t tmpfs_bytes(void) {
    char buf[8192];
    if (!read_small("/proc/self/mounts", buf, sizeof buf)) return 0;
    uint64_t total = 0;
    for (char *line = buf; *line;) {
        char *end = line;
        while (*end && *end != '\n') end++;
        char saved = *end;
        *end = 0;
        /* "<source> <mount point> <type> ...": mount points with spaces are escaped (\040), never raw. */
        char *point = line;
        while (*point && *point != ' ') point++;
        if (*point) {
            *point++ = 0;
            char *type = point;
            while (*type && *type != ' ') type++;
            if (*type) {
                *type++ = 0;
                struct statfs info;
                if (starts_with(type, "tmpfs ") && statfs(point, &info) == 0 && info.f_type == TMPFS_MAGIC)
                    total += (uint64_t)(info.f_blocks - info.f_bfree) * (uint64_t)info.f_bsize;
            }
        }
        *end = saved;
        line = saved ? end + 1 : end;
    }
    return total;
}

/* Allocated bytes of the memfds one process holds open, skipping ones already seen. */
uint64_t csb_memfd_bytes(int proc, const char *pid, csb_memfd_seen *seen) {
    char path[64];
    if (!csb_concat(path, sizeof path, pid, "/fd")) return 0;
    int dir = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return 0;
    uint64_t total = 0;
    char entries[4096];
    long n;
    while ((n = syscall(SYS_getdents64, dir, entries, sizeof entries)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short *)(entries + off + 16);
            const char *name = entries + off + 19;
            off += reclen;
            char target[64];
            ssize_t length = readlinkat(dir, name, target, sizeof target - 1);
            if (length <= 0) continue;
            target[length] = 0;
            struct stat info;
            if (!starts_with(target, "/memfd:") || fstatat(dir, name, &info, 0) != 0) continue;
            bool counted = false;
            for (int i = 0; i < seen->count; i++) counted = counted || seen->inodes[i] == (uint64_t)info.st_ino;
            if (counted) continue;
            if (seen->count < CSB_MAX_MEMFDS) seen->inodes[seen->count++] = (uint64_t)info.st_ino;
            total += (uint64_t)info.st_blocks * 512;
        }
    }
    close(dir);
    return total;
}

/* Resident bytes of the namespace's System V segments: the last-but-one column of /proc/sysvipc/shm. */
static uint64_t sysv_bytes(void) {
    char buf[8192];
    if (!read_small("/proc/sysvipc/shm", buf, sizeof buf)) return 0;
    uint64_t total = 0;
    bool header = true;
    for (char *p = buf; *p;) {
        uint64_t columns[16] = {0};
        int column = -1;
        bool in_number = false;
        for (; *p && *p != '\n'; p++) {
            bool digit = *p >= '0' && *p <= '9';
            if (*p != ' ' && !in_number) { column++; in_number = true; }
            if (*p == ' ') in_number = false;
            if (digit && column >= 0 && column < 16) columns[column] = columns[column] * 10 + (uint64_t)(*p - '0');
        }
        if (*p) p++;
        if (!header && column >= 15) total += columns[14];
        header = false;
    }
    return total;
}

uint64_t csb_shared_memory_bytes(void) { return tmpfs_bytes() + sysv_bytes(); }
