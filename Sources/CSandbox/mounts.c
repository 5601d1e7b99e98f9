/* A fresh root on tmpfs, built like bubblewrap: pivot into the tmpfs with the old root at /oldroot,
 * bind what the profile names from /oldroot, then detach /oldroot so nothing else stays reachable. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OLDROOT "/oldroot"

static bool set_attrs(const char *target, uint64_t attrs, unsigned flags) {
    struct mount_attr attr = {.attr_set = attrs};
    return syscall(SYS_mount_setattr, AT_FDCWD, target, flags, &attr, sizeof attr) == 0;
}

/* Creates the parent directories of path and an empty file at path (a bind target for a file). */
static bool make_file(const char *path) {
    char parent[CSB_PATH_MAX];
    if (!csb_concat(parent, sizeof parent, path, "")) return false;
    size_t n = csb_strlen(parent);
    while (n > 1 && parent[n - 1] != '/') n--;
    parent[n > 1 ? n - 1 : 1] = 0;
    if (!csb_mkdirs(parent)) return false;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno == EEXIST;
    close(fd);
    return true;
}

static bool bind(const char *host, const char *target, bool is_dir, bool writable, bool devices) {
    char source[CSB_PATH_MAX];
    if (!csb_concat(source, sizeof source, OLDROOT, host)) return false;
    if (!(is_dir ? csb_mkdirs(target) : make_file(target))) return false;
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0) return false;
    uint64_t attrs = MOUNT_ATTR_NOSUID | (writable ? 0 : MOUNT_ATTR_RDONLY) | (devices ? 0 : MOUNT_ATTR_NODEV);
    return set_attrs(target, attrs, AT_RECURSIVE);
}

static bool mount_dev(const csb_mount *m) {
    static const char *const devices[] = {"null", "zero", "full", "random", "urandom"};
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
    };
    char path[CSB_PATH_MAX], host[64];
    if (!csb_mkdirs(m->target)) return false;
    if (mount("tmpfs", m->target, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0) return false;
    for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
        if (!csb_concat(path, sizeof path, m->target, "/") || !csb_concat(path, sizeof path, path, devices[i])) return false;
        if (!csb_concat(host, sizeof host, "/dev/", devices[i])) return false;
        if (!bind(host, path, false, true, true)) return false;
    }
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        if (!csb_concat(path, sizeof path, m->target, "/") || !csb_concat(path, sizeof path, path, links[i][1])) return false;
        if (symlink(links[i][0], path) < 0) return false;
    }
    /* /dev/shm for multiprocessing's semaphores and shared memory. */
    if (!csb_concat(path, sizeof path, m->target, "/shm") || !csb_mkdirs(path)) return false;
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, m->data ? m->data : "mode=1777,size=64m") < 0) return false;
    return set_attrs(m->target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0);
}

static bool append_option(char *buf, size_t size, const char *key, const char *path) {
    return csb_concat(buf, size, buf, key) && csb_concat(buf, size, buf, OLDROOT) && csb_concat(buf, size, buf, path);
}

/* overlayfs over host paths seen through /oldroot: the layers must be mounts of our own namespace
 * (overlayfs clones them privately), so descriptors opened by the parent would not do. */
static bool mount_overlay(const csb_mount *m) {
    char options[3 * CSB_PATH_MAX] = "";
    if (!append_option(options, sizeof options, "lowerdir=", m->source)) return false;
    if (!append_option(options, sizeof options, ",upperdir=", m->upper)) return false;
    if (!append_option(options, sizeof options, ",workdir=", m->work)) return false;
    if (!csb_concat(options, sizeof options, options, ",userxattr")) return false;
    if (!csb_mkdirs(m->target)) return false;
    return mount("overlay", m->target, "overlay", MS_NOSUID | MS_NODEV, options) == 0;
}

static bool mount_one(const csb_mount *m) {
    switch (m->kind) {
    case CSB_MOUNT_BIND: return bind(m->source, m->target, m->source_is_dir, m->writable, false);
    case CSB_MOUNT_TMPFS:
        return csb_mkdirs(m->target) && mount("tmpfs", m->target, "tmpfs", MS_NOSUID | MS_NODEV, m->data) == 0;
    case CSB_MOUNT_PROC:
        return csb_mkdirs(m->target) && mount("proc", m->target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0;
    case CSB_MOUNT_DEV: return mount_dev(m);
    case CSB_MOUNT_OVERLAY: return mount_overlay(m);
    case CSB_MOUNT_SYMLINK: return make_file(m->target) && unlink(m->target) == 0 && symlink(m->source, m->target) == 0;
    case CSB_MOUNT_DIR: return csb_mkdirs(m->target);
    default: errno = EINVAL; return false;
    }
}

bool csb_mounts_init(const csb_config *cfg, int *step, int64_t *failed) {
    *step = CSB_STEP_MOUNT_PRIVATE;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return false;
    *step = CSB_STEP_MOUNT_ROOT;
    if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0) return false;
    if (mkdir("/tmp" OLDROOT, 0700) < 0) return false;
    *step = CSB_STEP_PIVOT_ROOT;
    if (syscall(SYS_pivot_root, "/tmp", "/tmp" OLDROOT) < 0 || chdir("/") < 0) return false;
    *step = CSB_STEP_MOUNT;
    for (int i = 0; i < cfg->mount_count; i++) {
        *failed = i;
        if (!mount_one(&cfg->mounts[i])) return false;
    }
    *failed = -1;
    *step = CSB_STEP_PIVOT_ROOT;
    if (umount2(OLDROOT, MNT_DETACH) < 0 || rmdir(OLDROOT) < 0) return false;
    /* The root itself is read-only; /tmp, /work, /dev/shm are mounts of their own. */
    return set_attrs("/", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0);
}
