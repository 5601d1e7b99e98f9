import Foundation

/// Credentials for the remote, used by every network command (fetch, ls-remote, push).
///
/// They reach git only through the child's environment and a `GIT_ASKPASS` helper script that
/// prints them: never on a command line (visible in `ps`), never in a file, never logged.
public struct GitCredentials: Sendable {
    public var username: String
    public var token: String

    public init(username: String, token: String) {
        self.username = username
        self.token = token
    }

    /// `GIT_PUSH_USERNAME` (default `x-access-token`, what GitHub and Gitea accept with a token) and
    /// `GIT_PUSH_TOKEN`; nil when no token is set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> GitCredentials?
    {
        guard let token = environment["GIT_PUSH_TOKEN"], !token.isEmpty else { return nil }
        let username = environment["GIT_PUSH_USERNAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "x-access-token"
        return GitCredentials(username: username, token: token)
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
