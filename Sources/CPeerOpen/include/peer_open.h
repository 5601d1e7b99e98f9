#ifndef CPEEROPEN_H
#define CPEEROPEN_H
/* Opens a directory with a socket peer's own credentials, so the kernel (mode bits, supplementary
 * groups, POSIX ACLs, LSMs) decides whether the peer may read it, not a re-implementation of its rules. */

#include <stddef.h>
#include <stdint.h>

#if __has_feature(nullability)
#define CPO_NONNULL _Nonnull
#define CPO_NULLABLE _Nullable
#else
#define CPO_NONNULL
#define CPO_NULLABLE
/* 1 when the open file `fd` carries a POSIX access ACL (which mode bits alone do not describe), else 0. */
int cpo_has_access_acl(int fd);

#endif

/* What failed, with the errno beside it. */
typedef enum {
    CPO_STEP_SETUP = 1,  /* socketpair, fork, or the helper vanished or timed out */
    CPO_STEP_IDENTITY,   /* setgroups / setresgid / setresuid: the runner cannot become the peer */
    CPO_STEP_OPEN,       /* the kernel refused the peer: EACCES, ELOOP/ENOTDIR for a symbolic link, ENOENT */
} cpo_step;

/* Forks a helper that drops to `uid`, `gid` and `groups` (setgroups, setresgid, setresuid; needs
 * CAP_SETUID and CAP_SETGID), walks the absolute `path` one component at a time without following any
 * symbolic link, opens the last directory for reading and passes that fd back over a socketpair.
 * Returns the fd (close-on-exec), or -errno with `*step` saying which part failed. The helper is killed
 * after `timeout_ms` (a peer that shares its uid can stop it). */
int cpo_open_directory_as(const char *CPO_NONNULL path, uint32_t uid, uint32_t gid,
                          const uint32_t *CPO_NULLABLE groups, size_t group_count, int timeout_ms,
                          int *CPO_NONNULL step);

/* 1 when the open file `fd` carries a POSIX access ACL (which mode bits alone do not describe), else 0. */
int cpo_has_access_acl(int fd);

#endif
