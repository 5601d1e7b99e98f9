/* A hostname of our own in the new UTS namespace. */
#include "internal.h"
#include <unistd.h>

bool csb_uts_init(const csb_config *cfg) {
    return sethostname(cfg->hostname, csb_strlen(cfg->hostname)) == 0;
}
