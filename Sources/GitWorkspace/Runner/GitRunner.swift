import Foundation
import Logging

/// Runs git as a subprocess with a clean environment and hooks disabled.
///
/// The child sees only `PATH`, `HOME` (a private directory), `LANG=C`, `GIT_CONFIG_NOSYSTEM=1` and
/// `GIT_TERMINAL_PROMPT=0`, plus `GIT_CEILING_DIRECTORIES` (no repository discovery above the working
/// directory) and the askpass variables on network commands. Every call carries
/// `-c core.hooksPath=/dev/null -c core.fsmonitor=false`, so nothing a patch writes into a repository
/// (a hook, an fsmonitor command) is ever executed by the agent.
public struct GitRunner: Sendable {
    /// The private `HOME` of every git child: an empty configuration and the askpass helper.
    public let home: URL
    /// How long a network command (fetch, ls-remote, push) may run before it is terminated.
    public var networkTimeout: Duration
    let credentials: GitCredentials?
    let executable: URL
    let redactor: Redactor
    let logger: Logger

    /// Options on every call: no hooks, no fsmonitor, no `ext::` transport (runs commands), no
    /// automatic gc (it could drop objects a per-task checkout borrows), no credential helpers.
    static let safetyOptions = [
        "-c", "core.hooksPath=/dev/null",
        "-c", "core.fsmonitor=false",
        "-c", "protocol.ext.allow=never",
        "-c", "gc.auto=0",
        "-c", "maintenance.auto=false",
        "-c", "credential.helper=",
        "-c", "advice.detachedHead=false",
    ]

    /// - Parameters:
    ///   - home: created if needed (mode 0700); holds the askpass helper.
    ///   - credentials: for network commands; by default from `GIT_PUSH_USERNAME` / `GIT_PUSH_TOKEN`.
    ///   - networkTimeout: limit for one fetch, ls-remote or push.
    ///   - logger: commands are logged at debug level, redacted.
    /// - Throws: when `home` or the helper cannot be written.
    public init(
        home: URL,
        credentials: GitCredentials? = .fromEnvironment(),
        networkTimeout: Duration = .seconds(300),
        logger: Logger = Logger(label: "git-workspace")
    ) throws {
        self.home = home
        self.credentials = credentials
        self.networkTimeout = networkTimeout
        self.logger = logger
        self.executable = Self.findGit()
        self.redactor = Redactor(secrets: credentials.map { [$0.token] } ?? [])
        let files = FileManager.default
        try files.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data(GitCredentials.askpassScript.utf8).write(to: askpassURL)
        try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: askpassURL.path)
    }

    var askpassURL: URL { home.appendingPathComponent("askpass.sh") }

    /// Runs `git <arguments>`.
    /// - Parameters:
    ///   - arguments: git's arguments after the safety options.
    ///   - directory: the working directory.
    ///   - environment: added to the clean environment (e.g. author identity).
    ///   - network: the command talks to a remote: the network timeout applies.
    ///   - remote: the remote a network command talks to; credentials are given only when they apply to it.
    /// - Returns: the output of a successful command.
    /// - Throws: `GitCommandError` when git exits non-zero or cannot start.
    @discardableResult
    func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
        network: Bool = false, remote: String? = nil
    ) async throws(GitCommandError) -> SubprocessOutput {
        let output = await runUnchecked(
            arguments, in: directory, environment: environment, network: network, remote: remote)
        guard output.status == 0, !output.timedOut else { throw commandError(arguments, output) }
        return output
    }

    /// Runs `git <arguments>` and returns the output whatever the exit status.
    func runUnchecked(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
        network: Bool = false, remote: String? = nil
    ) async -> SubprocessOutput {
        var childEnvironment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "HOME": home.path,
            "LANG": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
        ]
        if network, let credentials, let remote, credentials.apply(to: remote) {
            childEnvironment["GIT_ASKPASS"] = askpassURL.path
            childEnvironment.merge(credentials.environment) { _, new in new }
        }
        if let directory {
            // Discovery looks at the working directory only: an enclosing repository (the cache under
            // some checkout) never lends its configuration.
            childEnvironment["GIT_CEILING_DIRECTORIES"] = directory.deletingLastPathComponent().path
        }
        childEnvironment.merge(environment) { _, new in new }
        logger.debug("git", metadata: ["command": "\(redactedCommand(arguments))"])
        do {
            return try await Subprocess.run(
                executable: executable, arguments: Self.safetyOptions + arguments,
                environment: childEnvironment, directory: directory,
                timeout: network ? networkTimeout : nil)
        } catch {
            return SubprocessOutput(status: -1, stdout: "", stderr: "cannot run git: \(error)", timedOut: false)
        }
    }

    func commandError(_ arguments: [String], _ output: SubprocessOutput) -> GitCommandError {
        GitCommandError(
            command: redactedCommand(arguments), status: output.status,
            stderrTail: redactor.redact(GitCommandError.tail(of: output.stderr)), timedOut: output.timedOut)
    }

    func redactedCommand(_ arguments: [String]) -> String {
        redactor.redact((["git"] + arguments).joined(separator: " "))
    }

    func redact(_ text: String) -> String { redactor.redact(text) }

    private static func findGit() -> URL {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in searchPath.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/git"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return URL(fileURLWithPath: "/usr/bin/git")
    }
}
