/* RLIMIT_* from the profile (CPU, AS, FSIZE, NOFILE, NPROC, CORE=0, ...). */
#include "internal.h"
#include <sys/resource.h>

bool csb_rlimits_init(const csb_config *cfg, int64_t *failed) {
    for (int i = 0; i < cfg->rlimit_count; i++) {
        struct rlimit limit = {.rlim_cur = cfg->rlimits[i].soft, .rlim_max = cfg->rlimits[i].hard};
        if (setrlimit(cfg->rlimits[i].resource, &limit) < 0) {
            *failed = cfg->rlimits[i].resource;
            return false;
        }
    }
    return true;
}
