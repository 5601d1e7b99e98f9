/* Internal helpers of the child pipeline. Everything here is async-signal-safe: plain syscalls and
 * stack buffers, no allocation, no stdio. */
#ifndef CSANDBOX_INTERNAL_H
#define CSANDBOX_INTERNAL_H

#include "CSandbox.h"
#include <stdbool.h>
#include <stddef.h>

#define CSB_PATH_MAX 4096

/* The status pipe (fd 3 once fds.c has run). */
extern int csb_status_fd;
/* The runner's cgroup v1 `tasks` file (fd 4 once fds.c has run), or -1. */
extern int csb_leave_cgroup_fd;

/* Reports a failed step to the parent; `err` is an errno value. */
void csb_report_failure(const csb_config *cfg, int step, int err, int64_t extra);
/* Writes one record; retries on EINTR. */
void csb_write_record(int fd, int32_t kind, int32_t code, int64_t value, int64_t extra);

/* String helpers writing into fixed buffers; false when the result would not fit. */
bool csb_concat(char *buf, size_t size, const char *a, const char *b);
size_t csb_strlen(const char *s);
bool csb_streq(const char *a, const char *b);
/* Appends the decimal form of n; false when it would not fit. */
bool csb_append_uint(char *buf, size_t size, uint64_t n);
/* mkdir -p of path (mode 0755); true when it exists afterwards. */
bool csb_mkdirs(const char *path);

/* The pipeline steps, one file per concern. Each returns false with errno set. */
bool csb_userns_init(const csb_config *cfg);                 /* userns.c */
bool csb_mounts_init(const csb_config *cfg, int *step, int64_t *failed); /* mounts.c */
bool csb_network_init(void);                                 /* network.c */
bool csb_uts_init(const csb_config *cfg);                    /* uts.c */
bool csb_rlimits_init(const csb_config *cfg, int64_t *failed); /* rlimits.c */
bool csb_fds_init(const csb_config *cfg);                    /* fds.c */
bool csb_caps_drop(void);                                    /* caps.c */
bool csb_seccomp_install(const csb_config *cfg);             /* seccomp.c */
/* Runs as pid 1: forks and execs the job, reaps, supervises limits; never returns. */
void csb_init_run(const csb_config *cfg) __attribute__((noreturn)); /* init.c */
/* execve() argv[0] searched in cfg->search_path; returns only on failure (errno set). */
void csb_exec(const csb_config *cfg);                        /* exec.c */

/* Memory no resident set shows, for pid 1's accounting (hidden_memory.c). */
#define CSB_MAX_MEMFDS 256
typedef struct { uint64_t inodes[CSB_MAX_MEMFDS]; int count; } csb_memfd_seen;
uint64_t csb_shared_memory_bytes(void);   /* tmpfs files and System V segments of the namespace */
uint64_t csb_memfd_bytes(int proc, const char *pid, csb_memfd_seen *seen); /* memfds open in one process */

#endif
