/* Standard streams from the parent's pipes; every other inherited descriptor is closed. The status pipe
 * becomes fd 3 and the runner's cgroup `tasks` fd 4, both close-on-exec, so the job itself can never write
 * records or move processes. */
#include "internal.h"
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

int csb_status_fd = -1;
int csb_leave_cgroup_fd = -1;

bool csb_fds_init(const csb_config *cfg) {
    /* Move everything above the target numbers first so no dup2 clobbers a source. */
    int in = fcntl(cfg->stdin_fd, F_DUPFD_CLOEXEC, 10);
    int out = fcntl(cfg->output_fd, F_DUPFD_CLOEXEC, 10);
    int status = fcntl(csb_status_fd, F_DUPFD_CLOEXEC, 10);
    int leave = cfg->leave_cgroup_fd < 0 ? -1 : fcntl(cfg->leave_cgroup_fd, F_DUPFD_CLOEXEC, 10);
    if (in < 0 || out < 0 || status < 0 || (cfg->leave_cgroup_fd >= 0 && leave < 0)) return false;
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) return false;
    if (dup3(status, 3, O_CLOEXEC) < 0) return false;
    csb_status_fd = 3;
    if (leave >= 0) {
        if (dup3(leave, 4, O_CLOEXEC) < 0) return false;
        csb_leave_cgroup_fd = 4;
    }
    return syscall(SYS_close_range, leave >= 0 ? 5U : 4U, ~0U, 0) == 0;
}
