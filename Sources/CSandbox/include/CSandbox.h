#ifndef CSANDBOX_H
#define CSANDBOX_H
/* The child side of the sandbox's clone(). The parent (Swift) fills a csb_config with plain C data,
 * calls csb_spawn(), writes the id maps, then releases the child. From clone() on, the child runs only
 * async-signal-safe C: no allocation, no locks, no Swift runtime. */

#include <stdint.h>
#include <sys/types.h>

#if __has_feature(nullability)
#define CSB_NONNULL _Nonnull
#define CSB_NULLABLE _Nullable
#else
#define CSB_NONNULL
#define CSB_NULLABLE

#endif

/* Steps of the child pipeline, in order. Reported with errno when one fails. */
typedef enum {
    CSB_STEP_PDEATHSIG = 1,
    CSB_STEP_SYNC,
    CSB_STEP_IDS,
    CSB_STEP_CGROUP_NS,
    CSB_STEP_MOUNT_PRIVATE,
    CSB_STEP_MOUNT_ROOT,
    CSB_STEP_MOUNT,          /* `extra` holds the index of the failing mount */
    CSB_STEP_PIVOT_ROOT,
    CSB_STEP_NETWORK,
    CSB_STEP_HOSTNAME,
    CSB_STEP_RLIMITS,        /* `extra` holds the resource */
    CSB_STEP_SESSION,
    CSB_STEP_FDS,
    CSB_STEP_CAPS,
    CSB_STEP_NO_NEW_PRIVS,
    CSB_STEP_SECCOMP,
    CSB_STEP_FORK,
    CSB_STEP_CHDIR,
    CSB_STEP_EXEC,
} csb_step;

/* Name of the failing call for a step, e.g. "pivot_root". */
const char *CSB_NONNULL csb_step_name(int step);

typedef enum {
    CSB_MOUNT_BIND = 1,      /* source (host path) -> target, read-only unless writable */
    CSB_MOUNT_TMPFS,         /* data: tmpfs options, e.g. "size=256m,mode=1777" */
    CSB_MOUNT_PROC,          /* a new /proc for the new pid namespace */
    CSB_MOUNT_DEV,           /* minimal /dev: null zero full random urandom, fd links, /dev/shm */
    CSB_MOUNT_OVERLAY,       /* source = lower, upper, work: host paths (resolved in our own mount namespace) */
    CSB_MOUNT_SYMLINK,       /* target -> source (e.g. /bin -> usr/bin on merged-/usr hosts) */
    CSB_MOUNT_DIR,           /* an empty directory */
} csb_mount_kind;

typedef struct {
    int kind;
    const char *CSB_NULLABLE source;
    const char *CSB_NULLABLE target;
    const char *CSB_NULLABLE data;
    int writable;
    int source_is_dir;
    const char *CSB_NULLABLE upper;
    const char *CSB_NULLABLE work;
} csb_mount;

typedef struct {
    int resource;
    uint64_t soft, hard;
} csb_rlimit;

typedef struct {
    /* user namespace: the job runs as inside_uid/gid (mapped by the parent to an unprivileged host id) */
    uint32_t inside_uid, inside_gid;
    int may_setgroups;
    int new_cgroup_ns;               /* unshare(CLONE_NEWCGROUP) once the parent moved us into cgroups */
    const char *CSB_NULLABLE hostname;

    const csb_mount *CSB_NULLABLE mounts;
    int mount_count;

    const csb_rlimit *CSB_NULLABLE rlimits;
    int rlimit_count;

    /* a seccomp program compiled by the parent with libseccomp (struct sock_filter[]) */
    const void *CSB_NULLABLE filter;
    uint16_t filter_len;

    const char *CSB_NULLABLE const *CSB_NULLABLE argv;
    const char *CSB_NULLABLE const *CSB_NULLABLE envp;
    const char *CSB_NULLABLE cwd;
    const char *CSB_NULLABLE search_path;   /* PATH used to resolve argv[0] inside the sandbox */

    int stdin_fd;      /* becomes fd 0 */
    int output_fd;     /* becomes fd 1 and 2 */
    int status_fd;     /* records to the parent (csb_record) */
    int sync_fd;       /* 'G' from the parent once the id maps are written, then 'C' once in the cgroups */
    int leave_cgroup_fd; /* -1, or the runner's own cgroup v1 `tasks`: pid 1 moves back there once it has
                          * reaped the job, so the job's group is empty before pid 1 has exited */

    /* supervision by pid 1 (0 = not checked there) */
    uint64_t memory_limit_bytes;
    uint32_t max_pids;
    uint64_t cpu_limit_us;
} csb_config;

/* One fixed-size message from the child to the parent (smaller than PIPE_BUF, so writes are atomic). */
typedef enum {
    CSB_RECORD_SETUP_FAILED = 1,   /* code = step, value = errno, extra = detail (e.g. mount index) */
    CSB_RECORD_LIMIT = 2,          /* code = csb_limit, value = measured amount */
    CSB_RECORD_EXIT = 3,           /* code = wait status of the job */
    CSB_RECORD_USAGE = 4,          /* value = CPU time in microseconds, extra = peak RSS in KiB */
    CSB_RECORD_STARTED = 5,        /* the job was forked (setup complete) */
} csb_record_kind;

typedef enum {
    CSB_LIMIT_CPU = 1,
    CSB_LIMIT_MEMORY = 2,
    CSB_LIMIT_PIDS = 3,
} csb_limit;

typedef struct {
    int32_t kind;
    int32_t code;
    int64_t value;
    int64_t extra;
} csb_record;

/* clone()s pid 1 of the sandbox into new user, mount, pid, network, ipc and uts namespaces.
 * Returns the child's pid (and a pidfd in *pidfd_out) or -errno. The child waits on cfg->sync_fd. */
int csb_spawn(const csb_config *CSB_NONNULL cfg, int *CSB_NONNULL pidfd_out);

/* Parent-side helpers for calls Swift cannot import (macros, _GNU_SOURCE-only declarations). */
int csb_memfd(const char *CSB_NONNULL name);
/* pipe2(O_CLOEXEC); -errno on failure. */
int csb_pipe(int fds[CSB_NONNULL 2]);
/* eventfd(EFD_CLOEXEC | EFD_NONBLOCK); -errno on failure. */
int csb_eventfd(void);
/* open(path, O_PATH | O_DIRECTORY | O_CLOEXEC); -errno on failure. */
int csb_open_path(const char *CSB_NONNULL path);
/* write(2) to a pipe whose reader may be gone: EPIPE then, not SIGPIPE (blocked on this thread for the call,
 * and the one raised is consumed). Bytes written, or -errno. */
ssize_t csb_write_without_sigpipe(int fd, const void *CSB_NONNULL buf, size_t count);
/* pidfd_send_signal(2); -errno on failure. */
int csb_pidfd_kill(int pidfd, int sig);
/* wait4() on a pid; fills status, CPU microseconds and peak RSS (KiB); -errno on failure. */
int csb_wait(int pid, int *CSB_NONNULL status, int64_t *CSB_NONNULL cpu_us, int64_t *CSB_NONNULL maxrss_kb);
/* Attaches at `target` a copy of the tree at `path` whose ids appear as the user namespace `userns_fd`
 * maps them (open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount); userns_fd < 0: a plain read-only
 * bind. Root only. -errno on failure. */
int csb_attach_tree(const char *CSB_NONNULL path, const char *CSB_NONNULL target, int userns_fd);
/* umount2(target, MNT_DETACH); -errno on failure. */
int csb_detach(const char *CSB_NONNULL target);
/* A user namespace owned by a short-lived helper process, with uid_map/gid_map lines written by the
 * caller through the callback-free protocol: returns the helper's pid; the caller writes the maps,
 * opens /proc/<pid>/ns/user, then calls csb_userns_helper_release(). -errno on failure. */
int csb_userns_helper(int *CSB_NONNULL release_fd);
void csb_userns_helper_release(int pid, int release_fd);

#endif
