/* clone() of pid 1 and the ordered pipeline it runs before starting the job (nsjail's contain.cc). */
#include "internal.h"
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CSB_STACK_SIZE (256 * 1024)

/* Stops at the first failing step: the parent gets the step, errno and detail, the child exits 125. */
#define RUN_STEP(step, call, detail)                                   \
    do {                                                               \
        if (!(call)) {                                                 \
            csb_report_failure(cfg, (step), errno, (detail));          \
            _exit(125);                                                \
        }                                                              \
    } while (0)

/* Handlers and ignored signals of the parent must not leak into the job (SIG_IGN survives execve). */
static bool reset_signals(void) {
    struct sigaction action = {0};
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &action, NULL); /* errors for glibc-reserved signals are harmless */
    }
    return true;
}

/* Waits for the parent's go byte: 'G' once the id maps are written, 'C' once we are in our cgroups
 * (joining is slow, so it overlaps with the mount set-up). */
static bool wait_for_parent(const csb_config *cfg, char expected) {
    char byte = 0;
    ssize_t n;
    do { n = read(cfg->sync_fd, &byte, 1); } while (n < 0 && errno == EINTR);
    if (n == 1 && byte == expected) return true;
    if (n >= 0) errno = ECANCELED; /* the parent gave up (closed the pipe) */
    return false;
}

static int child_main(void *arg) {
    const csb_config *cfg = arg;
    int64_t detail = 0;
    csb_status_fd = cfg->status_fd;
    RUN_STEP(CSB_STEP_PDEATHSIG, prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && reset_signals(), 0);
    RUN_STEP(CSB_STEP_SYNC, wait_for_parent(cfg, 'G'), 0);
    /* We are a copy of the runner's memory (its environment included): the job must not read it
     * through /proc/1/environ or /proc/1/mem. Only now, since the parent had to write our id maps. */
    RUN_STEP(CSB_STEP_PDEATHSIG, prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, 0);
    RUN_STEP(CSB_STEP_IDS, csb_userns_init(cfg), 0);
    /* Changing credentials clears the parent-death signal: set it again. Should the runner die before
     * this point, the 'C' read below sees the pipe closed and we exit. */
    RUN_STEP(CSB_STEP_PDEATHSIG, prctl(PR_SET_PDEATHSIG, SIGKILL) == 0, 0);
    int step = CSB_STEP_MOUNT;
    if (!csb_mounts_init(cfg, &step, &detail)) {
        csb_report_failure(cfg, step, errno, detail);
        _exit(125);
    }
    RUN_STEP(CSB_STEP_NETWORK, csb_network_init(), 0);
    RUN_STEP(CSB_STEP_HOSTNAME, csb_uts_init(cfg), 0);
    RUN_STEP(CSB_STEP_SESSION, setsid() >= 0, 0);
    RUN_STEP(CSB_STEP_SYNC, wait_for_parent(cfg, 'C'), 1);
    if (cfg->new_cgroup_ns) RUN_STEP(CSB_STEP_CGROUP_NS, unshare(CLONE_NEWCGROUP) == 0, 0);
    /* Descriptors before rlimits: a runner with many open descriptors would otherwise find no free
     * number under a low RLIMIT_NOFILE for the moves (EMFILE). */
    RUN_STEP(CSB_STEP_FDS, csb_fds_init(cfg), 0);
    RUN_STEP(CSB_STEP_RLIMITS, csb_rlimits_init(cfg, &detail), detail);
    RUN_STEP(CSB_STEP_CAPS, csb_caps_drop(), 0);
    RUN_STEP(CSB_STEP_NO_NEW_PRIVS, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, 0);
    RUN_STEP(CSB_STEP_SECCOMP, csb_seccomp_install(cfg), 0);
    csb_init_run(cfg);
}

int csb_spawn(const csb_config *cfg, int *pidfd_out) {
    void *stack = mmap(NULL, CSB_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -errno;
    int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD
        | SIGCHLD;
    int pidfd = -1;
    /* No CLONE_VM: the child gets a copy-on-write copy of this address space, including *cfg. */
    int pid = clone(child_main, (char *)stack + CSB_STACK_SIZE, flags, (void *)cfg, &pidfd);
    int err = errno;
    munmap(stack, CSB_STACK_SIZE);
    if (pid < 0) return -err;
    *pidfd_out = pidfd;
    return pid;
}
