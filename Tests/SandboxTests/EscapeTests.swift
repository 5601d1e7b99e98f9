import Foundation
import TestSupport
import Testing

/// The escape suite: each case runs Python inside `selfcheck-runner exec` and asserts from outside, once
/// with the runner started as root and once as an unprivileged user (uid 65534).
extension SandboxSuites {
    @Suite(.timeLimit(.minutes(2)))
    struct EscapeTests {
        @Test(arguments: RunnerUser.available)
        func hostLoopbackListenerIsUnreachable(user: RunnerUser) throws {
            let listener = try LoopbackListener()
            let result = try Exec.python(
                """
                import socket, sys
                s = socket.socket()
                s.settimeout(3)
                try:
                    s.connect(("127.0.0.1", \(listener.port)))
                    print("CONNECTED"); sys.exit(1)
                except OSError as e:
                    print("refused", e.errno)
                """, as: user)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(listener.acceptedSomething == false)
        }

        @Test(arguments: RunnerUser.available)
        func publicAddressesAreUnreachable(user: RunnerUser) throws {
            let result = try Exec.python(
                """
                import socket, sys
                reached = []
                for host, port in [("1.1.1.1", 53), ("8.8.8.8", 443), ("2606:4700:4700::1111", 53)]:
                    family = socket.AF_INET6 if ":" in host else socket.AF_INET
                    s = socket.socket(family)
                    s.settimeout(3)
                    try:
                        s.connect((host, port)); reached.append(host)
                    except OSError as e:
                        print(host, "unreachable", e.errno)
                try:
                    socket.getaddrinfo("example.com", 80); reached.append("dns")
                except OSError as e:
                    print("dns fails", e)
                sys.exit(1 if reached else 0)
                """, as: user)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.seconds < 30)
        }

        @Test(arguments: RunnerUser.available)
        func secretsAndHostFilesAreUnreadable(user: RunnerUser) throws {
            var environment = ProcessInfo.processInfo.environment
            environment["OPENAI_API_KEY"] = "sk-escape-test-secret"
            environment["GIT_PUSH_TOKEN"] = "ghp-escape-test-secret"
            let result = try Exec.python(
                """
                import os, sys
                leaks = [k for k, v in os.environ.items() if "escape-test-secret" in v]
                for path in ["/proc/1/environ", "/proc/1/mem", "/etc/shadow", "/root/.bashrc", "/etc/gshadow"]:
                    try:
                        with open(path, "rb") as f:
                            if b"escape-test-secret" in f.read(1 << 20) or "shadow" in path: leaks.append(path)
                    except OSError as e:
                        print("cannot read", path, e.errno)
                for path in ["/root", "/home", "/work/wt-sandbox", "/opt/selfcheck-tools/../../root"]:
                    try:
                        os.listdir(path); leaks.append(path)
                    except OSError as e:
                        print("cannot list", path, e.errno)
                print("leaks", leaks)
                sys.exit(1 if leaks else 0)
                """, as: user, environment: environment)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(!result.stdout.contains("sk-escape-test-secret"))
        }

        @Test(arguments: RunnerUser.available)
        func nothingIsWrittenOutsideTheWorkspace(user: RunnerUser) throws {
            let marker = "sbx-escape-\(UUID().uuidString.prefix(8))"
            let targets = [
                "/\(marker)", "/tmp/\(marker)", "/usr/\(marker)", "/etc/\(marker)", "/opt/selfcheck-tools/\(marker)",
                "/dev/shm/\(marker)", "/var/tmp/\(marker)",
            ]
            let result = try Exec.python(
                """
                import os
                for path in \(targets.map { "\"\($0)\"" }):
                    try:
                        with open(path, "w") as f: f.write("escaped")
                        print("wrote (inside only?)", path)
                    except OSError as e:
                        print("refused", path, e.errno)
                """, as: user)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            for path in targets {
                #expect(!FileManager.default.fileExists(atPath: path), "\(path) appeared on the host")
            }
        }

        @Test(arguments: RunnerUser.available)
        func checkoutStaysByteIdentical(user: RunnerUser) throws {
            let checkout = try makeCheckout(owner: user)
            defer { try? FileManager.default.removeItem(at: checkout) }
            let before = try treeDigest(checkout)
            let result = try Exec.python(
                """
                import os
                with open("pkg/core.py", "a") as f: f.write("# changed\\n")
                os.remove("README.md")
                os.chmod("pkg/__init__.py", 0o600)
                with open("new.py", "w") as f: f.write("x = 1\\n")
                os.makedirs("newdir/sub")
                print(sorted(os.listdir(".")))
                """, as: user, options: ["--workspace", checkout.path, "--keep-changes"])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(try treeDigest(checkout) == before)
            #expect(
                result.stderr.contains("changed: README.md new.py newdir/sub pkg/__init__.py pkg/core.py"),
                "\(result.stderr)")
            if let upper = result.stderr.split(separator: "\n").first(where: { $0.hasPrefix("workspace upper layer: ") }
            ) {
                // A root runner's upper layer is on the workspace's tmpfs, `<workspace>/disk/upper`, which
                // --keep-changes keeps mounted; the checkout copy is detached all the same.
                var directory = URL(fileURLWithPath: String(upper.dropFirst(23))).deletingLastPathComponent()
                if directory.lastPathComponent == "disk" { directory.deleteLastPathComponent() }
                let mounts = try TestSupport.run(["cat", "/proc/self/mountinfo"]).stdout
                #expect(!mounts.contains(directory.path + "/lower "), "the checkout copy is still attached")
                _ = try? TestSupport.run(["umount", "-l", directory.path + "/disk"], check: false)
                _ = try? TestSupport.run(["rm", "-rf", directory.path])
            }
        }

        // MARK: bombs — each bounded by small limits so a failure cannot hurt the machine

        @Test(arguments: RunnerUser.available)
        func forkBombHitsThePidsLimit(user: RunnerUser) throws {
            let result = try Exec.python(
                """
                import os
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
                """, as: user, options: ["--pids", "32", "--timeout", "20", "--memory-mb", "512"])
            #expect(result.limitHit == "pids", "\(result.stderr)")
            #expect(result.status == 128 + 9)
            #expect(result.seconds < 15)
        }

        /// A command that exits without reading its input: the runner's writes to it fail (EPIPE), which must
        /// not become a SIGPIPE that kills `exec` (it exited 141 before).
        @Test(arguments: RunnerUser.available)
        func inputLeftUnreadIsNotFatalToTheRunner(user: RunnerUser) throws {
            let result = try Exec.run(["true"], as: user, input: Data(count: 4 << 20))
            #expect(result.status == 0, "\(result.stderr)")
        }

        @Test(arguments: RunnerUser.available)
        func memoryBombHitsTheMemoryLimit(user: RunnerUser) throws {
            let result = try Exec.python(
                """
                chunks = []
                while True:
                    chunks.append(b"x" * (8 << 20))
                """, as: user, options: ["--memory-mb", "128", "--timeout", "20"])
            #expect(result.limitHit == "memory", "\(result.stderr)")
            #expect(result.seconds < 15)
        }

        @Test(arguments: RunnerUser.available)
        func diskFillerHitsTheFileSizeLimit(user: RunnerUser) throws {
            let checkout = try makeCheckout(owner: user)
            defer { try? FileManager.default.removeItem(at: checkout) }
            let result = try Exec.python(
                """
                with open("big.bin", "wb") as f:
                    while True:
                        f.write(b"\\0" * (1 << 20))
                """, as: user,
                options: ["--workspace", checkout.path, "--file-size-bytes", "\(8 << 20)", "--timeout", "20"])
            #expect(result.limitHit == "file_size", "\(result.stderr)")
            #expect(result.status != 0)
            #expect(!FileManager.default.fileExists(atPath: checkout.appendingPathComponent("big.bin").path))
        }

        /// The limit is told from the largest file the job left, found by walking its changes: a tree deeper
        /// than any path (3000 folders) beside the big file neither hides it nor exhausts the runner's stack.
        @Test(arguments: RunnerUser.available)
        func aDeepTreeDoesNotHideTheFileSizeLimit(user: RunnerUser) throws {
            let checkout = try makeCheckout(owner: user)
            defer { try? FileManager.default.removeItem(at: checkout) }
            let result = try Exec.python(
                """
                import os
                os.makedirs("x/y")
                here = os.getcwd()
                for _ in range(3000):
                    os.mkdir("d")
                    os.chdir("d")
                os.chdir(here)
                with open("x/y/big.bin", "wb") as f:
                    while True:
                        f.write(b"\\0" * (1 << 20))
                """, as: user,
                options: ["--workspace", checkout.path, "--file-size-bytes", "\(8 << 20)", "--timeout", "30"])
            #expect(result.limitHit == "file_size", "\(result.stderr)")
            #expect(result.status != 0)
        }

        @Test(arguments: RunnerUser.available)
        func infiniteLoopHitsTheCPULimit(user: RunnerUser) throws {
            let result = try Exec.python("while True: pass", as: user, options: ["--cpu", "1", "--timeout", "20"])
            #expect(result.limitHit == "cpu_time", "\(result.stderr)")
            #expect(result.seconds < 10)
        }

        @Test(arguments: RunnerUser.available)
        func sleepForeverHitsTheWallTimeLimit(user: RunnerUser) throws {
            let result = try Exec.python("import time; time.sleep(10**6)", as: user, options: ["--timeout", "1"])
            #expect(result.limitHit == "wall_time", "\(result.stderr)")
            #expect(result.status == 128 + 9)
            #expect(result.seconds < 8)
        }

        @Test(arguments: RunnerUser.available)
        func gigabyteOfOutputHitsTheOutputLimit(user: RunnerUser) throws {
            let result = try Exec.python(
                """
                import sys
                block = b"y" * (1 << 20)
                for _ in range(1024):
                    sys.stdout.buffer.write(block)
                """, as: user, options: ["--output-bytes", "\(4 << 20)", "--timeout", "30"])
            #expect(result.limitHit == "output", "\(result.stderr)")
            #expect(result.stdout.utf8.count < 16 << 20)
            #expect(result.seconds < 20)
        }

        // MARK: processes

        @Test(arguments: RunnerUser.available)
        func killAllFromInsideHarmsNothingOutside(user: RunnerUser) throws {
            // A canary with the same host uid as the job: only the pid namespace protects it.
            let marker = "4242.\(Int.random(in: 100_000...999_999))"
            // Started as a daemon (the shell exits at once): Foundation's Process reaping stalls while any
            // child it started is still running. Descriptors are closed so the canary holds no pipes.
            let sleeper =
                "/usr/bin/python3 -c 'import os, sys; os.closerange(3, 4096); os.execvp(\"sleep\", [\"sleep\", sys.argv[1]])' \(marker) </dev/null >/dev/null 2>&1 &"
            let asJobUser = geteuid() == 0 ? ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"] : []
            try TestSupport.run(asJobUser + ["/bin/sh", "-c", sleeper])
            defer { pids(withMarker: marker).forEach { kill($0, SIGKILL) } }
            #expect(waitUntil(seconds: 5) { processExists(withMarker: marker) })
            let result = try Exec.python(
                """
                import os, signal
                for target in (-1, 1, os.getppid()):
                    try:
                        os.kill(target, signal.SIGKILL)
                    except OSError as e:
                        print("kill", target, e.errno)
                print("still here")
                """, as: user)
            #expect(result.stdout.contains("still here"), "\(result.stdout)\(result.stderr)")
            #expect(result.status == 0)
            #expect(processExists(withMarker: marker), "the canary outside was killed")
        }

        @Test(arguments: RunnerUser.available)
        func killingTheRunnerKillsTheJob(user: RunnerUser) throws {
            let marker = "4343.\(Int.random(in: 100_000...999_999))"
            let runner = Process()
            runner.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            runner.arguments = user.prefix + [Exec.runner(for: user), "exec", "--timeout", "60", "--", "sleep", marker]
            runner.standardInput = FileHandle.nullDevice
            runner.standardOutput = FileHandle.nullDevice
            runner.standardError = FileHandle.nullDevice
            try runner.run()
            defer { kill(runner.processIdentifier, SIGKILL) }
            #expect(waitUntil(seconds: 10) { processExists(withMarker: marker) }, "the job never started")
            kill(runner.processIdentifier, SIGKILL)
            #expect(waitUntil(seconds: 10) { !processExists(withMarker: marker) }, "the job outlived its runner")
        }

        @Test(arguments: RunnerUser.available)
        func doubleForkedDaemonDoesNotOutliveTheJob(user: RunnerUser) throws {
            let marker = "4444.\(Int.random(in: 100_000...999_999))"
            let result = try Exec.python(
                """
                import os
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        os.execvp("sleep", ["sleep", "\(marker)"])
                    os._exit(0)
                os.wait()
                print("daemon started")
                """, as: user)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(waitUntil(seconds: 2) { !processExists(withMarker: marker) }, "the daemon outlived the job")
        }

        // MARK: kernel attack surface

        @Test(arguments: RunnerUser.available)
        func deniedSystemCallsReturnEPERM(user: RunnerUser) throws {
            let result = try Exec.python(
                #"""
                import ctypes, errno, sys
                libc = ctypes.CDLL(None, use_errno=True)
                libc.syscall.restype = ctypes.c_long
                buf = ctypes.create_string_buffer(4096)
                p = ctypes.addressof(buf)
                CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
                calls = {
                    "ptrace": (101, 16, 1, 0, 0), "process_vm_readv": (310, 1, p, 1, p, 1, 0),
                    "process_vm_writev": (311, 1, p, 1, p, 1, 0), "mount": (165, p, p, p, 0, 0),
                    "umount2": (166, p, 0), "pivot_root": (155, p, p), "move_mount": (429, -1, p, -1, p, 0),
                    "fsopen": (430, p, 0), "unshare": (272, CLONE_NEWUSER), "setns": (308, 0, 0),
                    "clone(CLONE_NEWUSER)": (56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0),
                    "clone(CLONE_NEWNET)": (56, 0x40000000 | SIGCHLD, 0, 0, 0, 0),
                    "keyctl": (250, 0, 0), "add_key": (248, p, p, 0, 0, 0), "request_key": (249, p, p, 0, 0),
                    "bpf": (321, 0, p, 0), "perf_event_open": (298, p, 0, -1, -1, 0),
                    "io_uring_setup": (425, 1, p), "io_uring_enter": (426, 0, 0, 0, 0, 0, 0),
                    "io_uring_register": (427, 0, 0, 0, 0), "userfaultfd": (323, 0),
                    "kexec_load": (246, 0, 0, 0, 0), "kexec_file_load": (320, -1, -1, 0, 0, 0),
                    "init_module": (175, p, 0, p), "finit_module": (313, -1, p, 0), "delete_module": (176, p, 0),
                    "reboot": (169, 0, 0, 0, 0), "swapon": (167, p, 0), "swapoff": (168, p), "acct": (163, 0),
                    "open_by_handle_at": (304, -1, p, 0), "name_to_handle_at": (303, -1, p, p, p, 0),
                    "personality(ADDR_NO_RANDOMIZE)": (135, 0x0040000),
                    "socket(AF_NETLINK)": (41, 16, 3, 0), "socket(AF_PACKET)": (41, 17, 3, 0),
                    "socket(AF_VSOCK)": (41, 40, 1, 0), "socketpair(AF_NETLINK)": (53, 16, 3, 0, p),
                    "ioctl(TIOCSTI)": (16, 0, 0x5412, p),
                }
                bad = []
                for name, (nr, *args) in calls.items():
                    ctypes.set_errno(0)
                    result = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
                    err = ctypes.get_errno()
                    if result != -1 or err != errno.EPERM:
                        bad.append(f"{name}: result {result} errno {err}")
                # What Python needs must still work.
                import socket, os
                a, b = socket.socketpair(); a.send(b"x"); assert b.recv(1) == b"x"
                socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
                assert libc.syscall(ctypes.c_long(135), ctypes.c_long(0xffffffff)) != -1
                print("\n".join(bad) or "all denied with EPERM")
                sys.exit(1 if bad else 0)
                """#, as: user)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        }

        @Test(arguments: RunnerUser.available)
        func setuidBinariesGiveNothing(user: RunnerUser) throws {
            let result = try Exec.python(
                """
                import subprocess, sys
                status = open("/proc/self/status").read()
                fields = dict(line.split(":", 1) for line in status.splitlines())
                problems = []
                if fields["NoNewPrivs"].strip() != "1": problems.append("no_new_privs off")
                for cap in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
                    if int(fields[cap], 16) != 0: problems.append(cap + " " + fields[cap].strip())
                for argv in (["/usr/bin/mount", "-t", "tmpfs", "none", "/mnt"], ["/usr/bin/su", "-c", "id -u"],
                             ["/usr/bin/newgrp", "root"]):
                    run = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
                    if run.returncode == 0: problems.append(" ".join(argv) + " succeeded: " + run.stdout)
                print(problems or "nothing gained")
                sys.exit(1 if problems else 0)
                """, as: user)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        }
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// A TCP listener on the host's 127.0.0.1 that never accepts; tells whether a connection arrived.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = UInt16(bigEndian: address.sin_port)
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    }

    var acceptedSomething: Bool {
        let client = accept(fd, nil, nil)
        if client >= 0 {
            close(client)
            return true
        }
        return false
    }

    deinit { close(fd) }
}
