/// Checks on the untrusted strings that end up in git arguments, ref names and paths.
enum Validation {
    /// A commit id: 4 to 64 lowercase or uppercase hex digits (never an option, never a ref expression).
    static func commit(_ commit: String) throws(GitWorkspaceError) -> String {
        let lowered = commit.lowercased()
        guard (4...64).contains(lowered.count), lowered.allSatisfy(\.isHexDigit) else {
            throw GitWorkspaceError(.invalidArgument, "not a commit id: '\(commit.prefix(80))'", commit: commit)
        }
        return lowered
    }

    /// A task id usable in `agt/<id>` and as a directory name: letters, digits, `.`, `_`, `-`; no
    /// leading `.` or `-`, no `..`, no `.lock` suffix, at most 200 characters.
    static func taskID(_ id: String) throws(GitWorkspaceError) -> String {
        let allowed = id.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                || "._-".unicodeScalars.contains($0)
        }
        guard !id.isEmpty, id.count <= 200, allowed, !id.hasPrefix("."), !id.hasPrefix("-"),
            !id.contains(".."), !id.hasSuffix(".lock")
        else {
            throw GitWorkspaceError(.invalidArgument, "task id not usable in a branch name: '\(id.prefix(80))'")
        }
        return id
    }

    /// A branch name made of task-id-safe components separated by `/` (e.g. `agt/<id>`).
    static func branch(_ branch: String) throws(GitWorkspaceError) -> String {
        let parts = branch.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            do { _ = try taskID(String(part)) } catch {
                throw GitWorkspaceError(.invalidArgument, "not an acceptable branch name: '\(branch.prefix(80))'")
            }
        }
        return branch
    }

    /// A remote: a URL or a path, not something git would read as an option.
    static func remote(_ remote: String) throws(GitWorkspaceError) -> String {
        guard !remote.isEmpty, !remote.hasPrefix("-"), !remote.contains("\n") else {
            throw GitWorkspaceError(
                .invalidArgument, "not a remote URL: '\(Redactor.redactURLUserInfo(String(remote.prefix(80))))'")
        }
        return remote
    }
}
