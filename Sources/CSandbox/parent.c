/* Parent-side helpers (ordinary code, not run after clone). */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

int csb_memfd(const char *name) {
    int fd = memfd_create(name, MFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

ssize_t csb_write_without_sigpipe(int fd, const void *buf, size_t count) {
    sigset_t pipe, old;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old);
    ssize_t n = write(fd, buf, count);
    int err = errno;
    if (n < 0 && err == EPIPE) {
        sigset_t pending;
        struct timespec now = {0, 0};
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) sigtimedwait(&pipe, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return n < 0 ? -err : n;
}

int csb_pidfd_kill(int pidfd, int sig) {
    return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0 ? 0 : -errno;
}

int csb_wait(int pid, int *status, int64_t *cpu_us, int64_t *maxrss_kb) {
    struct rusage ru;
    pid_t r;
    do { r = wait4(pid, status, 0, &ru); } while (r < 0 && errno == EINTR);
    if (r < 0) return -errno;
    *cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    *maxrss_kb = ru.ru_maxrss;
    return 0;
}

int csb_attach_tree(const char *path, const char *target, int userns_fd) {
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0) return -errno;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
    if (userns_fd >= 0) {
        attr.attr_set |= MOUNT_ATTR_IDMAP;
        attr.userns_fd = (uint64_t)userns_fd;
    }
    int err = 0;
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) err = errno;
    if (!err && syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) err = errno;
    close(fd);
    return -err;
}

int csb_detach(const char *target) {
    /* Never through a symbolic link: a planted `lower -> /some/mount` must not detach that mount. */
    return umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 ? 0 : -errno;
}

static int helper_main(void *arg) {
    int *fds = arg;
    close(fds[1]); /* else our own copy of the write end keeps the pipe open */
    char byte;
    while (read(fds[0], &byte, 1) < 0 && errno == EINTR) {}
    _exit(0);
}

int csb_userns_helper(int *release_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
    size_t size = 64 * 1024;
    void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) { int err = errno; close(fds[0]); close(fds[1]); return -err; }
    int pid = clone(helper_main, (char *)stack + size, CLONE_NEWUSER | SIGCHLD, fds);
    int err = errno;
    munmap(stack, size);
    close(fds[0]);
    if (pid < 0) { close(fds[1]); return -err; }
    *release_fd = fds[1];
    return pid;
}

void csb_userns_helper_release(int pid, int release_fd) {
    close(release_fd);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

int csb_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

int csb_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int csb_open_path(const char *path) {
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}
