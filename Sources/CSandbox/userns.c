/* Identity inside the user namespace. The parent wrote uid_map/gid_map before releasing us; here we
 * switch to the mapped unprivileged id. Raw syscalls: glibc's setresuid() would try to signal the
 * parent's other threads (its setxid broadcast), which do not exist in this copy of the process. */
#include "internal.h"
#include <sys/syscall.h>
#include <unistd.h>

bool csb_userns_init(const csb_config *cfg) {
    if (syscall(SYS_setresgid, cfg->inside_gid, cfg->inside_gid, cfg->inside_gid) < 0) return false;
    if (cfg->may_setgroups && syscall(SYS_setgroups, 0, NULL) < 0) return false;
    /* Root inside is not mapped, so the kernel keeps our namespace capabilities for the set-up steps;
     * they are dropped explicitly before the job starts (caps.c) and an exec as non-root clears them. */
    if (syscall(SYS_setresuid, cfg->inside_uid, cfg->inside_uid, cfg->inside_uid) < 0) return false;
    return true;
}
