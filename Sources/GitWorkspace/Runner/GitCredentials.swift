import Foundation

/// Credentials for the remote, used by every network command (fetch, ls-remote, push).
///
/// They reach git only through the child's environment and a `GIT_ASKPASS` helper script that
/// prints them: never on a command line (visible in `ps`), never in a file, never logged.
///
/// They are scoped: git gets them only for a remote whose host is in `hosts`, and only over https or
/// ssh, so a task naming another remote (or plain http) can never make the agent send the token there.
public struct GitCredentials: Sendable {
    public var username: String
    public var token: String
    /// The hosts (lower case, with a port when the URL has one) the credentials are for.
    public var hosts: Set<String>

    public init(username: String, token: String, hosts: Set<String>) {
        self.username = username
        self.token = token
        self.hosts = Set(hosts.map { $0.lowercased() })
    }

    /// Credentials for `remote`'s host only (none when it is not an https or ssh URL).
    public init(username: String, token: String, for remote: String) {
        self.init(username: username, token: token, hosts: RemoteURL(remote).map { [$0.host] } ?? [])
    }

    /// Whether git may be given the credentials for a command that talks to `remote`.
    public func apply(to remote: String) -> Bool {
        guard let url = RemoteURL(remote) else { return false }
        return hosts.contains(url.host)
    }

    /// `GIT_PUSH_USERNAME` (default `x-access-token`, what GitHub and Gitea accept with a token) and
    /// `GIT_PUSH_TOKEN`, for the host of `REMOTE_REPO` and the hosts of `GIT_PUSH_ALLOWED_REMOTES`
    /// (remote URLs separated by commas or spaces); nil when no token is set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> GitCredentials?
    {
        guard let token = environment["GIT_PUSH_TOKEN"], !token.isEmpty else { return nil }
        let username = environment["GIT_PUSH_USERNAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "x-access-token"
        var remotes: [String] = []
        if let remote = environment["REMOTE_REPO"] { remotes.append(remote) }
        if let more = environment["GIT_PUSH_ALLOWED_REMOTES"] {
            remotes += more.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        }
        return GitCredentials(username: username, token: token, hosts: Set(remotes.compactMap { RemoteURL($0)?.host }))
    }

    /// The askpass helper: git runs it with a prompt ("Username for …" / "Password for …") and reads
    /// the answer from its stdout. The script holds no secret; it echoes variables of its environment.
    static let askpassScript = """
        #!/bin/sh
        case "$1" in
          Username*) printf '%s\\n' "$GIT_WORKSPACE_USERNAME" ;;
          *) printf '%s\\n' "$GIT_WORKSPACE_TOKEN" ;;
        esac

        """

    /// The variables the askpass script reads.
    var environment: [String: String] {
        ["GIT_WORKSPACE_USERNAME": username, "GIT_WORKSPACE_TOKEN": token]
    }
}
