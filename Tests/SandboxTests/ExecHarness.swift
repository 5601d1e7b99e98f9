import Foundation
import TestSupport
import Testing

/// Runs `selfcheck-runner exec` as a black box, either as root or as an unprivileged user (uid 65534 via
/// setpriv), and reads its `--report` lines.
enum RunnerUser: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case root, unprivileged

    var testDescription: String { rawValue }

    /// The users this host can test: both when the tests run as root, else only the current user.
    static var available: [RunnerUser] { geteuid() == 0 ? [.root, .unprivileged] : [.unprivileged] }

    var prefix: [String] {
        self == .unprivileged && geteuid() == 0
            ? ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"] : []
    }
}

struct ExecResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double

    /// `limit hit: X` from the report.
    var limitHit: String? {
        stderr.split(separator: "\n").first { $0.hasPrefix("limit hit: ") }.map { String($0.dropFirst(11)) }
            .flatMap { $0 == "none" ? nil : $0 }
    }
}

/// Where the unprivileged tests' copy of the runner lives; removed when the test process exits.
private let installedCopyRoot = FileManager.default.temporaryDirectory.appendingPathComponent(
    "selfcheck-runner-\(getpid())")

enum Exec {
    static var runner: String { Paths.product("selfcheck-runner").path }

    /// The runner for `user`. For uid 65534 it is an installed-layout copy under /tmp
    /// (`bin/selfcheck-runner` and `bin/selfcheck-runner-full`, `share/selfcheck-runner/sandbox-profiles`): the checkout may live below a
    /// folder that uid cannot traverse (CI clones anywhere, /root is mode 700).
    static func runner(for user: RunnerUser) -> String {
        user == .unprivileged && geteuid() == 0 ? installedCopy : runner
    }

    private static let installedCopy: String = {
        let root = installedCopyRoot
        atexit { try? FileManager.default.removeItem(at: installedCopyRoot) }
        let share = root.appendingPathComponent("share/selfcheck-runner")
        let binary = root.appendingPathComponent("bin/selfcheck-runner")
        _ = try? TestSupport.run(["mkdir", "-p", root.appendingPathComponent("bin").path, share.path])
        _ = try? TestSupport.run(["cp", runner, binary.path])
        // What the front hands anything but plain `exec` to, beside it as in an installation.
        _ = try? TestSupport.run([
            "cp", Paths.product("selfcheck-runner-full").path, root.appendingPathComponent("bin").path,
        ])
        _ = try? TestSupport.run([
            "cp", "-r", Paths.packageRoot.appendingPathComponent("sandbox-profiles").path, share.path,
        ])
        _ = try? TestSupport.run(["chmod", "-R", "a+rX", root.path])
        return binary.path
    }()

    /// `selfcheck-runner exec --report [options] -- command…` as `user`.
    static func run(
        _ command: [String], as user: RunnerUser, options: [String] = [],
        environment: [String: String]? = nil, input: Data? = nil
    ) throws -> ExecResult {
        let started = Date()
        let output = try TestSupport.run(
            user.prefix + [runner(for: user), "exec", "--report"] + options + ["--"] + command,
            input: input, environment: environment, check: false)
        return ExecResult(
            status: output.status, stdout: output.stdout, stderr: output.stderr,
            seconds: Date().timeIntervalSince(started))
    }

    /// Python code run inside the sandbox.
    static func python(
        _ code: String, as user: RunnerUser, options: [String] = [],
        environment: [String: String]? = nil
    ) throws -> ExecResult {
        try run(["python3", "-c", code], as: user, options: options, environment: environment)
    }
}

/// A directory under /tmp that uid 65534 can use (the package path may not be traversable by it).
func makeSharedDirectory(_ prefix: String, owner: RunnerUser) throws -> URL {
    let url = URL(fileURLWithPath: "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    chmod(url.path, 0o755)
    if owner == .unprivileged && geteuid() == 0 { chown(url.path, 65534, 65534) }
    return url
}

/// A small checkout with a few files, owned by the runner user.
func makeCheckout(owner: RunnerUser) throws -> URL {
    let root = try makeSharedDirectory("sbx-checkout", owner: owner)
    try FileManager.default.createDirectory(at: root.appendingPathComponent("pkg"), withIntermediateDirectories: true)
    try Data("def add(a, b):\n    return a + b\n".utf8).write(to: root.appendingPathComponent("pkg/core.py"))
    try Data("".utf8).write(to: root.appendingPathComponent("pkg/__init__.py"))
    try Data("# readme\n".utf8).write(to: root.appendingPathComponent("README.md"))
    if owner == .unprivileged && geteuid() == 0 { try TestSupport.run(["chown", "-R", "65534:65534", root.path]) }
    return root
}

/// SHA-256 of every file under a directory (path and content), to prove a checkout is byte-identical.
func treeDigest(_ root: URL) throws -> String {
    try TestSupport.run([
        "sh", "-c", "cd '\(root.path)' && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum",
    ]).stdout
}

/// True while some process's command line contains `marker`.
func processExists(withMarker marker: String) -> Bool { !pids(withMarker: marker).isEmpty }

/// The parent of `pid` as this process sees it (for a job's process, its sandbox's pid 1 on the host).
func parentPid(of pid: Int32) -> Int32? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.range(of: ") ", options: .backwards)
    else { return nil }
    let fields = stat[end.upperBound...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
}

/// Processes whose command line contains `marker` (the runner's own, naming it too, excepted).
func pids(withMarker marker: String) -> [Int32] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return names.compactMap { name -> Int32? in
        guard let pid = Int32(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else {
            return nil
        }
        let cmdline = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return cmdline.contains(marker) && !cmdline.contains("selfcheck-runner") ? pid : nil
    }
}
