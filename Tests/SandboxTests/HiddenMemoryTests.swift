import Foundation
import TestSupport
import Testing

/// Memory that no process's resident set shows still counts against the limit: as root the job's cgroup
/// v1 memory group is charged for it, without root pid 1 adds tmpfs files, open memfds and System V
/// segments to its sum of RSS. Each case holds 256 MiB under a 64 MiB limit, then sleeps.
extension SandboxSuites {
    @Suite(.timeLimit(.minutes(2)))
    struct HiddenMemoryTests {
        static let hoards: [String: String] = [
            "memfd": """
            import os
            fd = os.memfd_create("hoard")
            for _ in range(256): os.write(fd, b"x" * (1 << 20))
            """,
            "tmpfs": """
            with open("/tmp/hoard", "wb") as f:
                for _ in range(256): f.write(b"x" * (1 << 20))
            """,
            "sysv": """
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.shmat.restype = ctypes.c_void_p
            size = 256 << 20
            shmid = libc.shmget(0, ctypes.c_size_t(size), 0o1600)
            assert shmid >= 0, ctypes.get_errno()
            # 8 MiB at a time, detached after each: never more than that in any resident set.
            for offset in range(0, size, 8 << 20):
                address = libc.shmat(shmid, None, 0)
                ctypes.memset(address + offset, 1, 8 << 20)
                libc.shmdt(ctypes.c_void_p(address))
            """,
        ]

        static let cases: [(RunnerUser, String)] = RunnerUser.available.flatMap { user in
            hoards.keys.sorted().map { (user, $0) }
        }

        @Test(arguments: cases)
        func memoryOutsideTheResidentSetHitsTheLimit(user: RunnerUser, hoard: String) throws {
            let result = try Exec.python(
                Self.hoards[hoard]! + """

                    import time
                    print("holding", flush=True)
                    time.sleep(5)
                    print("SURVIVED")
                    """, as: user, options: ["--memory-mb", "64", "--timeout", "30"])
            #expect(result.limitHit == "memory", "\(result.stdout)\(result.stderr)")
            #expect(!result.stdout.contains("SURVIVED"), "\(result.stdout)")
        }
    }
}
