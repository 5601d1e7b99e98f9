import Foundation
import Testing

@testable import GitWorkspace

/// The push token goes only to `REMOTE_REPO`'s host, only over https or ssh: a task naming another remote
/// (or plain http) must not be able to collect it.
extension GitWorkspaceTests {
    @Test func credentialsApplyOnlyToTheirHostOverHTTPSOrSSH() {
        let credentials = GitCredentials.fromEnvironment([
            "GIT_PUSH_TOKEN": "t", "REMOTE_REPO": "https://Git.Example.com/org/repo.git",
            "GIT_PUSH_ALLOWED_REMOTES": "git@mirror.example.com:org/repo.git",
        ])
        #expect(credentials?.hosts == ["git.example.com", "mirror.example.com"])
        #expect(credentials?.apply(to: "https://git.example.com/other/repo.git") == true)
        #expect(credentials?.apply(to: "ssh://git@git.example.com/org/repo.git") == true)
        #expect(credentials?.apply(to: "git@mirror.example.com:org/repo.git") == true)
        // Another host, the same host over plain http or git://, a port we were not given, local paths.
        for remote in [
            "https://attacker.example/org/repo.git", "http://git.example.com/org/repo.git",
            "git://git.example.com/org/repo.git", "https://git.example.com:444/org/repo.git",
            "https://git.example.com.attacker.example/r.git", "file:///srv/repo.git", "/srv/repo.git",
            "ext::sh -c id", "https://attacker.example@/r.git", "",
        ] {
            #expect(credentials?.apply(to: remote) == false, "\(remote)")
        }
        // Without REMOTE_REPO there is no host to send them to.
        #expect(GitCredentials.fromEnvironment(["GIT_PUSH_TOKEN": "t"])?.hosts == [])
    }

    @Test(.enabled(if: HTTPGitServer.isAvailable, "needs python3 for the HTTP git server"))
    func aTaskNamingAnotherRemoteGetsNoCredentials() async throws {
        try await withTestBed { bed in
            let token = "tok-SCOPE-5151"
            let server = try HTTPGitServer(
                projectRoot: bed.serverRepo.deletingLastPathComponent(), username: "robot", token: token,
                scratch: bed.root)
            defer { server.stop() }
            let remote = server.url("toolz.git")
            // Scoped to REMOTE_REPO's host: the server (an attacker's, as far as the token is concerned) is
            // reached under another name, and must see no credentials: it refuses the fetch.
            for scope in [
                "https://git.example.com/org/toolz.git",
                remote.replacingOccurrences(of: "127.0.0.1", with: "localhost"),
            ] {
                let credentials = GitCredentials(username: "robot", token: token, for: scope)
                let refused = await #expect(throws: GitWorkspaceError.self) {
                    try await bed.makeCache("scope-\(scope.count)", credentials: credentials).ensure(
                        commit: bed.baseCommit, in: remote)
                }
                #expect(refused?.code == .remoteUnreachable)
            }
            // The same token scoped to this remote authenticates: the refusals above were the scope's doing.
            let mirror = try await bed.makeCache(
                "scoped-right", credentials: GitCredentials(username: "robot", token: token, for: remote)
            )
            .ensure(commit: bed.baseCommit, in: remote)
            #expect(try await mirror.existingAgentCommit(branch: "agt/none", taskID: "none") == nil)
        }
    }
}
