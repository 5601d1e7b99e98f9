#include "internal.h"
#include <errno.h>
#include <sys/stat.h>

size_t csb_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

bool csb_streq(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

bool csb_concat(char *buf, size_t size, const char *a, const char *b) {
    size_t la = csb_strlen(a), lb = csb_strlen(b);
    if (la + lb + 1 > size) { errno = ENAMETOOLONG; return false; }
    for (size_t i = 0; i < la; i++) buf[i] = a[i];
    for (size_t i = 0; i < lb; i++) buf[la + i] = b[i];
    buf[la + lb] = 0;
    return true;
}

bool csb_append_uint(char *buf, size_t size, uint64_t n) {
    char digits[24];
    int count = 0;
    do { digits[count++] = (char)('0' + n % 10); n /= 10; } while (n);
    size_t len = csb_strlen(buf);
    if (len + (size_t)count + 1 > size) { errno = ENAMETOOLONG; return false; }
    for (int i = 0; i < count; i++) buf[len + (size_t)i] = digits[count - 1 - i];
    buf[len + (size_t)count] = 0;
    return true;
}

bool csb_mkdirs(const char *path) {
    char buf[CSB_PATH_MAX];
    if (!csb_concat(buf, sizeof buf, path, "")) return false;
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char saved = *p;
            *p = 0;
            if (mkdir(buf, 0755) < 0 && errno != EEXIST) return false;
            *p = saved;
            if (!saved) break;
        }
    }
    return true;
}
