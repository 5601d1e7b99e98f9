import Foundation
import GitWorkspace
import TestSupport
import Testing

extension GitWorkspaceTests {
    /// Every hook git runs in the operations we use, in the mirror and in the checkout.
    static let hookNames = [
        "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "pre-push",
        "reference-transaction", "post-index-change", "pre-auto-gc", "post-rewrite", "fsmonitor-watchman",
    ]

    /// Plants every hook in `hooksDirectory`; each appends its name to `marker` when run.
    static func plantHooks(in hooksDirectory: URL, marker: URL) throws {
        try FileManager.default.createDirectory(at: hooksDirectory, withIntermediateDirectories: true)
        for name in hookNames {
            let hook = hooksDirectory.appendingPathComponent(name)
            try Data("#!/bin/sh\necho \(name) >> '\(marker.path)'\n".utf8).write(to: hook)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook.path)
        }
    }

    @Test func hooksPlantedInTheMirrorOrCheckoutAreNeverRun() async throws {
        try await withTestBed { bed in
            let marker = bed.root.appendingPathComponent("hook-ran")
            let mirror = try await bed.makeCache().ensure(commit: bed.baseCommit, in: bed.remote)
            try Self.plantHooks(in: mirror.path.appendingPathComponent("hooks"), marker: marker)
            // A fetch into the mirror (reference-transaction would fire) and a checkout from it.
            let upstream = try bed.publish()
            try await mirror.ensure(commit: upstream)

            let checkout = try await mirror.checkout(commit: bed.baseCommit, taskID: "t-hooks", in: bed.checkouts)
            defer { checkout.remove() }
            try Self.plantHooks(in: checkout.directory.appendingPathComponent(".git/hooks"), marker: marker)
            // A hook set through the checkout's own config is ignored as well.
            try run([
                "git", "-C", checkout.directory.path, "config", "core.hooksPath",
                mirror.path.appendingPathComponent("hooks").path,
            ])
            let sha = try await checkout.commitAndPush(
                diff: try bed.sampleDiff(), message: AgentCommit.message(kind: "fix", goal: "g", taskID: "t-hooks"),
                author: bed.author, branch: "agt/t-hooks")
            #expect(try await mirror.existingAgentCommit(branch: "agt/t-hooks", taskID: "t-hooks") == sha)
            #expect(!FileManager.default.fileExists(atPath: marker.path))

            // The hooks were real: plain git in the checkout runs them.
            try run([
                "git", "-C", checkout.directory.path, "-c", "user.name=x", "-c", "user.email=x@x",
                "commit", "-q", "--allow-empty", "-m", "plain git",
            ])
            let ran = try String(contentsOf: marker, encoding: .utf8)
            #expect(ran.contains("pre-commit") && ran.contains("post-commit"))
        }
    }

    @Test func credentialsNeverAppearInErrors() async throws {
        try await withTestBed { bed in
            let token = "tok-SECRET-4242"
            let password = "pw-SECRET-1717"
            let cache = try bed.makeCache(
                credentials: GitCredentials(username: "agent", token: token, hosts: ["127.0.0.1"]))
            let closedPort = try GitDaemon.freePort()
            let remote = "http://agent:\(password)@127.0.0.1:\(closedPort)/toolz.git"

            let fetch = await #expect(throws: GitWorkspaceError.self) {
                try await cache.ensure(commit: bed.baseCommit, in: remote)
            }
            #expect(fetch?.code == .remoteUnreachable)
            let lookup = await #expect(throws: GitWorkspaceError.self) {
                try await cache.mirror(for: remote).existingAgentCommit(branch: "agt/t1", taskID: "t1")
            }
            #expect(lookup?.code == .remoteUnreachable)

            for error in [fetch, lookup].compactMap({ $0 }) {
                let text =
                    "\(error) \(String(reflecting: error)) \(error.underlying?.command ?? "") \(error.underlying?.stderrTail ?? "")"
                #expect(!text.contains(password))
                #expect(!text.contains(token))
                #expect(text.contains("127.0.0.1:\(closedPort)"))  // Still says where it went.
            }
            // Nor on disk in the mirror's configuration (the URL is passed per command).
            let mirror = try await cache.mirror(for: remote)
            let config = (try? String(contentsOf: mirror.path.appendingPathComponent("config"), encoding: .utf8)) ?? ""
            #expect(!config.contains(password))
            #expect(mirror.displayRemote == "http://***@127.0.0.1:\(closedPort)/toolz.git")
        }
    }

    @Test func askpassHelperAnswersFromTheEnvironmentOnly() async throws {
        try await withTestBed { bed in
            let home = bed.root.appendingPathComponent("askpass-home")
            _ = try GitRunner(home: home, credentials: GitCredentials(username: "robot", token: "t0ken", hosts: []))
            let helper = home.appendingPathComponent("askpass.sh")
            let script = try String(contentsOf: helper, encoding: .utf8)
            #expect(!script.contains("t0ken") && !script.contains("robot"))
            let environment = [
                "PATH": "/usr/bin:/bin", "GIT_WORKSPACE_USERNAME": "robot", "GIT_WORKSPACE_TOKEN": "t0ken",
            ]
            #expect(
                try run([helper.path, "Username for 'https://example.invalid': "], environment: environment).stdout
                    == "robot\n")
            #expect(
                try run([helper.path, "Password for 'https://robot@example.invalid': "], environment: environment)
                    .stdout == "t0ken\n")
            let mode = try FileManager.default.attributesOfItem(atPath: home.path)[.posixPermissions] as? Int
            #expect(mode == 0o700)

            #expect(GitCredentials.fromEnvironment([:]) == nil)
            let fromEnvironment = GitCredentials.fromEnvironment(["GIT_PUSH_TOKEN": "abc"])
            #expect(fromEnvironment?.username == "x-access-token" && fromEnvironment?.token == "abc")
        }
    }
}

extension GitWorkspaceTests {
    @Test(.enabled(if: HTTPGitServer.isAvailable, "needs python3 for the HTTP git server"))
    func credentialsAuthenticateFetchAndPushOverHTTP() async throws {
        try await withTestBed { bed in
            let token = "tok-HTTP-9191"
            let server = try HTTPGitServer(
                projectRoot: bed.serverRepo.deletingLastPathComponent(), username: "robot", token: token,
                scratch: bed.root)
            defer { server.stop() }
            let remote = server.url("toolz.git")

            // Without credentials git must fail at once (no prompt), and with a wrong token too.
            let anonymous = await #expect(throws: GitWorkspaceError.self) {
                try await bed.makeCache("anonymous").ensure(commit: bed.baseCommit, in: remote)
            }
            #expect(anonymous?.code == .remoteUnreachable)
            let wrongToken = "wrong-token-7373"
            let wrong = await #expect(throws: GitWorkspaceError.self) {
                try await bed.makeCache(
                    "wrong", credentials: GitCredentials(username: "robot", token: wrongToken, for: remote)
                )
                .ensure(commit: bed.baseCommit, in: remote)
            }
            #expect(wrong?.code == .remoteUnreachable)
            #expect(wrong.map { "\($0)".contains(wrongToken) } == false)

            // The right token: fetch, push and the redelivery lookup all authenticate through askpass.
            let cache = try bed.makeCache(
                "right", credentials: GitCredentials(username: "robot", token: token, for: remote))
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: remote)
            let sha = try await mirror.withCheckout(commit: bed.baseCommit, taskID: "h1", in: bed.checkouts) {
                checkout in
                try await checkout.commitAndPush(
                    diff: try bed.sampleDiff(), message: AgentCommit.message(kind: "fix", goal: "g", taskID: "h1"),
                    author: bed.author, branch: "agt/h1")
            }
            #expect(try bed.server(["rev-parse", "refs/heads/agt/h1"]) == sha)
            #expect(try await mirror.existingAgentCommit(branch: "agt/h1", taskID: "h1") == sha)
        }
    }
}

extension GitWorkspaceTests {
    @Test func enclosingRepositoryConfigurationIsNotInherited() async throws {
        try await withTestBed { bed in
            // The agent's state directory inside a repository whose config redirects the remote.
            let outer = bed.root.appendingPathComponent("outer")
            try FileManager.default.createDirectory(at: outer, withIntermediateDirectories: true)
            try run(["git", "init", "-q", outer.path])
            try run(["git", "-C", outer.path, "config", "url.file:///nonexistent/.insteadOf", "git://127.0.0.1"])
            let runner = try GitRunner(home: outer.appendingPathComponent("state/home"), credentials: nil)
            let cache = MirrorCache(directory: outer.appendingPathComponent("state/mirrors"), runner: runner)
            let mirror = try await cache.ensure(commit: bed.baseCommit, in: bed.remote)
            #expect(try await mirror.existingAgentCommit(branch: "agt/none", taskID: "none") == nil)
            let checkouts = outer.appendingPathComponent("state/checkouts")
            let head = try await mirror.withCheckout(commit: bed.baseCommit, taskID: "nested", in: checkouts) {
                try FixtureRepo.head(of: $0.directory)
            }
            #expect(head == bed.baseCommit)
        }
    }
}
