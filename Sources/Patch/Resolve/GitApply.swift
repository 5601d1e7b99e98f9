import Foundation

/// Runs `git apply --check` on a diff in the base tree: git reads the tree and writes nothing to it.
/// `HostGit` scrubs the environment and disables hooks, so neither the caller's nor the user's git
/// configuration changes the verdict.
enum GitApply {
    struct Outcome {
        var succeeded: Bool
        var errors: String
    }

    static func check(_ diff: String, in tree: URL) -> Outcome {
        // The diff goes through a temporary file rather than a pipe: a git that exits early cannot then
        // kill us with SIGPIPE.
        let patchFile = FileManager.default.temporaryDirectory.appendingPathComponent("patch-check-\(UUID().uuidString).diff")
        defer { try? FileManager.default.removeItem(at: patchFile) }
        do {
            try Data(diff.utf8).write(to: patchFile)
        } catch {
            return Outcome(succeeded: false, errors: "cannot write a temporary file: \(error)")
        }
        do {
            let output = try HostGit.run(["apply", "--check", patchFile.path], in: tree, capture: .standardError)
            return Outcome(succeeded: output.succeeded, errors: output.text)
        } catch {
            return Outcome(succeeded: false, errors: "cannot run git: \(error)")
        }
    }
}
