/* The helper runs after fork() in a multi-threaded process: async-signal-safe calls only, no allocation. */
#define _GNU_SOURCE
#include "peer_open.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

struct cpo_result {
    int32_t step;
    int32_t error;
};

/* `path` walked from "/" with O_NOFOLLOW on every component: the kernel checks search permission on
 * each directory as the caller, and a component that is (or was swapped for) a symbolic link fails. */
static int open_without_links(const char *path, int *error) {
    char buffer[PATH_MAX];
    size_t length = strlen(path);
    if (path[0] != '/' || length >= sizeof buffer) { *error = EINVAL; return -1; }
    memcpy(buffer, path, length + 1);
    int current = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (current < 0) { *error = errno; return -1; }
    char *name = buffer;
    while (*name) {
        while (*name == '/') name++;
        if (!*name) break;
        char *end = strchr(name, '/');
        if (end) *end = '\0';
        if (strcmp(name, "..") == 0) { close(current); *error = EINVAL; return -1; }
        int next = openat(current, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        close(current);
        if (next < 0) { *error = saved; return -1; }
        current = next;
        name = end ? end + 1 : name + strlen(name);
    }
    /* "." needs search permission on the last directory, O_RDONLY read permission. */
    int directory = openat(current, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *error = errno;
    close(current);
    return directory;
}

static void send_result(int sock, int fd, int32_t step, int32_t error) {
    struct cpo_result result = {.step = step, .error = error};
    struct iovec iov = {.iov_base = &result, .iov_len = sizeof result};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = sizeof control.buffer;
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(header), &fd, sizeof fd);
    }
    while (sendmsg(sock, &message, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

static void helper(int sock, const char *path, uint32_t uid, uint32_t gid, const uint32_t *groups, size_t count) {
    /* Never dumpable: the peer's uid must not ptrace or read this copy of the runner's memory. */
    prctl(PR_SET_DUMPABLE, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (setgroups(count, (const gid_t *)groups) != 0 || setresgid(gid, gid, gid) != 0
        || setresuid(uid, uid, uid) != 0) {
        send_result(sock, -1, CPO_STEP_IDENTITY, errno);
        _exit(0);
    }
    int error = 0;
    int fd = open_without_links(path, &error);
    send_result(sock, fd, fd < 0 ? CPO_STEP_OPEN : 0, fd < 0 ? error : 0);
    _exit(0);
}

/* Reads the helper's answer: the fd, or -errno with `*step`. */
static int receive_result(int sock, int timeout_ms, int *step) {
    struct pollfd waiting = {.fd = sock, .events = POLLIN};
    int ready;
    do { ready = poll(&waiting, 1, timeout_ms); } while (ready < 0 && errno == EINTR);
    if (ready <= 0) { *step = CPO_STEP_SETUP; return ready == 0 ? -ETIMEDOUT : -errno; }
    struct cpo_result result = {0};
    struct iovec iov = {.iov_base = &result, .iov_len = sizeof result};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    ssize_t got;
    do { got = recvmsg(sock, &message, MSG_CMSG_CLOEXEC); } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof result) { *step = CPO_STEP_SETUP; return got < 0 ? -errno : -EPROTO; }
    int fd = -1;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    if (header && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS
        && header->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(&fd, CMSG_DATA(header), sizeof fd);
    if (result.step != 0 || fd < 0) {
        if (fd >= 0) close(fd);
        *step = result.step ? result.step : CPO_STEP_SETUP;
        return result.error ? -result.error : -EPROTO;
    }
    return fd;
}

int cpo_open_directory_as(const char *path, uint32_t uid, uint32_t gid, const uint32_t *groups,
                          size_t group_count, int timeout_ms, int *step) {
    int socks[2];
    *step = CPO_STEP_SETUP;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) { int error = errno; close(socks[0]); close(socks[1]); return -error; }
    if (pid == 0) {
        close(socks[0]);
        helper(socks[1], path, uid, gid, groups, group_count);
    }
    close(socks[1]);
    int result = receive_result(socks[0], timeout_ms, step);
    close(socks[0]);
    kill(pid, SIGKILL); /* already gone unless it hung */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return result;
}

int cpo_has_access_acl(int fd) {
    return fgetxattr(fd, "system.posix_acl_access", NULL, 0) >= 0;
}
