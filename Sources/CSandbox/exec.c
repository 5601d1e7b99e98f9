/* execve() with a PATH search done by hand (execvpe may allocate). */
#include "internal.h"
#include <errno.h>
#include <unistd.h>

void csb_exec(const csb_config *cfg) {
    const char *file = cfg->argv[0];
    char *const *argv = (char *const *)cfg->argv;
    char *const *envp = (char *const *)cfg->envp;
    for (const char *c = file; *c; c++) {
        if (*c == '/') { execve(file, argv, envp); return; }
    }
    int result = ENOENT;
    const char *p = cfg->search_path;
    while (*p) {
        char candidate[CSB_PATH_MAX];
        size_t n = 0;
        while (p[n] && p[n] != ':' && n < sizeof candidate - 2) { candidate[n] = p[n]; n++; }
        candidate[n] = 0;
        p += n;
        if (*p == ':') p++;
        if (n == 0) continue;
        if (!csb_concat(candidate, sizeof candidate, candidate, "/") || !csb_concat(candidate, sizeof candidate, candidate, file)) continue;
        execve(candidate, argv, envp);
        if (errno == EACCES) result = EACCES;
        else if (errno != ENOENT && errno != ENOTDIR) { result = errno; break; }
    }
    errno = result;
}
