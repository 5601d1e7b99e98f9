/* Pid 1 of the sandbox: starts the job, reaps every process, enforces the tree-wide limits that no
 * rlimit covers (total CPU, total memory, process count), and kills all stragglers when the job ends,
 * so a double-forked daemon never outlives it. When pid 1 exits the kernel kills the whole namespace. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TICKS_PER_SECOND 100 /* USER_HZ is fixed at 100 on Linux */
#define PAGE_BYTES 4096

typedef struct {
    uint64_t tasks;
    uint64_t rss_bytes;
    uint64_t cpu_us;
} usage;

/* Parses utime, stime, cutime, cstime, num_threads and rss from /proc/<pid>/stat. */
static void add_process(int proc, const char *pid, usage *total) {
    char path[64];
    if (!csb_concat(path, sizeof path, pid, "/stat")) return;
    int fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    char *p = buf + n;
    while (p > buf && *p != ')') p--; /* the command name may contain spaces */
    uint64_t fields[25] = {0};
    int field = 2;
    for (; *p && field < 25; p++) {
        if (*p == ' ') { field++; continue; }
        if (*p >= '0' && *p <= '9' && field < 25) fields[field] = fields[field] * 10 + (uint64_t)(*p - '0');
    }
    total->cpu_us += (fields[14] + fields[15] + fields[16] + fields[17]) * (1000000 / TICKS_PER_SECOND);
    total->tasks += fields[20];
    total->rss_bytes += fields[24] * PAGE_BYTES;
}

/* With `hidden`, memory also counts what RSS misses: tmpfs files, memfds, System V segments. */
static usage measure(bool hidden) {
    usage total = {.tasks = 1, .rss_bytes = hidden ? csb_shared_memory_bytes() : 0, .cpu_us = 0};
    static csb_memfd_seen seen; /* large for pid 1's stack frame; pid 1 is single-threaded */
    seen.count = 0;
    struct rusage self;
    if (getrusage(RUSAGE_CHILDREN, &self) == 0) {
        total.cpu_us += (uint64_t)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1000000
            + (uint64_t)(self.ru_utime.tv_usec + self.ru_stime.tv_usec);
    }
    int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc < 0) return total;
    char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, proc, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            const char *name = buf + off + 19;
            if (name[0] >= '1' && name[0] <= '9' && !csb_streq(name, "1")) {
                add_process(proc, name, &total);
                if (hidden) total.rss_bytes += csb_memfd_bytes(proc, name, &seen);
            }
            off += reclen;
        }
    }
    close(proc);
    return total;
}

/* Returns the csb_limit that the tree exceeds, or 0. */
static int exceeded(const csb_config *cfg, int64_t *amount) {
    usage now = measure(cfg->memory_limit_bytes != 0);
    if (cfg->max_pids && now.tasks >= cfg->max_pids) { *amount = (int64_t)now.tasks; return CSB_LIMIT_PIDS; }
    if (cfg->memory_limit_bytes && now.rss_bytes > cfg->memory_limit_bytes) { *amount = (int64_t)now.rss_bytes; return CSB_LIMIT_MEMORY; }
    if (cfg->cpu_limit_us && now.cpu_us > cfg->cpu_limit_us) { *amount = (int64_t)now.cpu_us; return CSB_LIMIT_CPU; }
    return 0;
}

static void reap_all(void) {
    for (;;) {
        pid_t pid = waitpid(-1, NULL, 0);
        if (pid < 0 && errno != EINTR) return;
    }
}

/* The job's process until its execve: runs on its own stack in pid 1's memory (CLONE_VM), so it writes
 * nothing but its stack, and pid 1 sleeps until it has exec'd or exited (CLONE_VFORK). */
static int start_job(void *arg) {
    const csb_config *cfg = arg;
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    if (chdir(cfg->cwd) < 0) {
        csb_report_failure(cfg, CSB_STEP_CHDIR, errno, 0);
        _exit(125);
    }
    csb_exec(cfg);
    csb_report_failure(cfg, CSB_STEP_EXEC, errno, 0);
    _exit(127);
}

#define JOB_STACK_BYTES (64 * 1024)

void csb_init_run(const csb_config *cfg) {
    /* SIGCHLD wakes us to reap; SIGTERM from the runner means "stop the job": we kill the tree ourselves
     * so that its CPU time is still reaped into our usage record. */
    sigset_t chld, empty;
    sigemptyset(&chld);
    sigemptyset(&empty);
    sigaddset(&chld, SIGCHLD);
    sigaddset(&chld, SIGTERM);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    /* Like posix_spawn: no copy of pid 1's address space (a copy of the whole runner's) for a process
     * that only calls execve. Every signal that could run a handler is blocked or at its default. */
    void *stack = mmap(NULL, JOB_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    pid_t job = stack == MAP_FAILED
        ? -1
        : clone(start_job, (char *)stack + JOB_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)cfg);
    if (job < 0) {
        csb_report_failure(cfg, CSB_STEP_FORK, errno, 0);
        _exit(125);
    }
    munmap(stack, JOB_STACK_BYTES);
    csb_write_record(csb_status_fd, CSB_RECORD_STARTED, 0, job, 0);

    bool supervise = cfg->max_pids || cfg->memory_limit_bytes || cfg->cpu_limit_us;
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
    int job_status = 0;
    bool job_done = false, limit_reported = false;
    while (!job_done) {
        siginfo_t info;
        if (sigtimedwait(&chld, &info, supervise ? &tick : NULL) == SIGTERM) kill(-1, SIGKILL);
        for (;;) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid <= 0) break;
            if (pid == job) { job_status = status; job_done = true; }
        }
        int64_t amount = 0;
        int limit = (!job_done && supervise && !limit_reported) ? exceeded(cfg, &amount) : 0;
        if (limit) {
            csb_write_record(csb_status_fd, CSB_RECORD_LIMIT, limit, amount, 0);
            limit_reported = true;
            kill(-1, SIGKILL);
        }
    }
    kill(-1, SIGKILL); /* whatever the job left behind dies with it */
    reap_all();
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    int64_t cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    /* Every process of the job is reaped. Leave the job's cgroup (writing "0" moves only this thread, which
     * skips the global lock of a process move) and close our ends of the pipes before the last records: the
     * runner can then remove the group and finish without waiting for our exit (tearing down this copy of
     * its memory and the namespaces), as bubblewrap's monitor does not wait for its pid 1. Should the move
     * fail, the runner's removal retries until we are gone. */
    if (csb_leave_cgroup_fd >= 0) (void)!write(csb_leave_cgroup_fd, "0", 1);
    close(0);
    close(1);
    close(2);
    csb_write_record(csb_status_fd, CSB_RECORD_EXIT, job_status, 0, 0);
    csb_write_record(csb_status_fd, CSB_RECORD_USAGE, 0, cpu_us, ru.ru_maxrss);
    close(csb_status_fd);
    _exit(0);
}
