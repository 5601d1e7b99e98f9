#include "internal.h"
#include <errno.h>
#include <unistd.h>

void csb_write_record(int fd, int32_t kind, int32_t code, int64_t value, int64_t extra) {
    csb_record record = {.kind = kind, .code = code, .value = value, .extra = extra};
    while (write(fd, &record, sizeof record) < 0 && errno == EINTR) {}
}

void csb_report_failure(const csb_config *cfg, int step, int err, int64_t extra) {
    (void)cfg;
    csb_write_record(csb_status_fd, CSB_RECORD_SETUP_FAILED, step, err, extra);
}

const char *csb_step_name(int step) {
    switch (step) {
    case CSB_STEP_PDEATHSIG: return "prctl(PR_SET_PDEATHSIG/PR_SET_DUMPABLE)";
    case CSB_STEP_SYNC: return "read(sync pipe)";
    case CSB_STEP_IDS: return "setresuid/setresgid";
    case CSB_STEP_CGROUP_NS: return "unshare(CLONE_NEWCGROUP)";
    case CSB_STEP_MOUNT_PRIVATE: return "mount(/, MS_REC|MS_PRIVATE)";
    case CSB_STEP_MOUNT_ROOT: return "mount(tmpfs new root)";
    case CSB_STEP_MOUNT: return "mount";
    case CSB_STEP_PIVOT_ROOT: return "pivot_root";
    case CSB_STEP_NETWORK: return "ioctl(SIOCSIFFLAGS, lo up)";
    case CSB_STEP_HOSTNAME: return "sethostname";
    case CSB_STEP_RLIMITS: return "setrlimit";
    case CSB_STEP_SESSION: return "setsid";
    case CSB_STEP_FDS: return "close_range/dup2";
    case CSB_STEP_CAPS: return "capset/PR_CAPBSET_DROP";
    case CSB_STEP_NO_NEW_PRIVS: return "prctl(PR_SET_NO_NEW_PRIVS)";
    case CSB_STEP_SECCOMP: return "prctl(PR_SET_SECCOMP)";
    case CSB_STEP_FORK: return "fork";
    case CSB_STEP_CHDIR: return "chdir";
    case CSB_STEP_EXEC: return "execve";
    default: return "unknown step";
    }
}
