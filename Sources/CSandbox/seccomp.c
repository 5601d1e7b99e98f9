/* Install the seccomp program the parent compiled with libseccomp (compiling allocates, so it cannot
 * happen here). Requires no_new_privs, which the pipeline sets just before. */
#include "internal.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

bool csb_seccomp_install(const csb_config *cfg) {
    if (!cfg->filter || cfg->filter_len == 0) { errno = EINVAL; return false; } /* fail closed */
    struct sock_fprog program = {.len = cfg->filter_len, .filter = (struct sock_filter *)cfg->filter};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0;
}
