import Foundation
import Patch

/// The one host process the environment builder runs: pip *download* (files only).
/// A clean environment: no PIP_* variables, no user configuration (pip also gets `--isolated`).
enum HostProcess {
    struct Output {
        var status: Int32
        var text: String
    }

    /// Processes started from Swift concurrency threads inherit a mask that blocks most signals, which
    /// breaks Python's subprocess handling: the interpreter clears it before running the module.
    static func run(pythonModule module: String, _ arguments: [String], python: String, timeoutSeconds: Double) throws
        -> Output
    {
        let bootstrap =
            "import runpy, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); sys.argv[0] = '\(module)'; runpy.run_module('\(module)', run_name='__main__', alter_sys=True)"
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("selfcheck-pip-home-\(getpid())")
        try? FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = [
            "PATH": "/usr/bin:/bin", "HOME": home.path, "PIP_CONFIG_FILE": "/dev/null", "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        ]
        for name in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"] {
            if let value = ProcessInfo.processInfo.environment[name] { environment[name] = value }
        }
        return try run(
            [python, "-I", "-c", bootstrap] + arguments, environment: environment, timeoutSeconds: timeoutSeconds)
    }

    static func run(_ command: [String], environment: [String: String], input: Data? = nil, timeoutSeconds: Double)
        throws -> Output
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        let output = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try? stdin.fileHandleForWriting.close()
        let pid = process.processIdentifier
        let timer = DispatchWorkItem { if process.isRunning { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: timer)
        // EINTR-safe: Foundation's readDataToEndOfFile traps on an interrupted read (see HostGit).
        let data = HostGit.readToEnd(output.fileHandleForReading)
        process.waitUntilExit()
        timer.cancel()
        let status =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Output(status: status, text: String(decoding: data, as: UTF8.self))
    }
}
