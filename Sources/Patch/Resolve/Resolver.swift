import Foundation

/// The repair ladder for a whole patch: resolve each file against the base tree (exact place, then
/// renumbered, then whitespace-tolerant, each requiring certainty), render canonically, and confirm with
/// `git apply --check` (on a copy of the touched files) before answering.
enum Resolver {
    /// - Parameter validated: the caller has just run `Validation.validate` on this patch and tree.
    static func resolve(_ patch: PatchSet, against tree: URL, validated: Bool = false) throws(PatchError)
        -> ResolvedPatch
    {
        let inspector = TreeInspector(tree: tree)
        var resolver = FileResolver(inspector: inspector)
        // Paths and shapes are checked again here so `resolve` is safe even when called without `validate`.
        for file in patch.files where !validated {
            try Validation.checkShape(file)
            for path in [file.oldPath, file.newPath].compactMap(\.self) {
                try Validation.checkPath(path, file: file)
                try inspector.checkOnDisk(path, file: file)
            }
        }
        var changes: [FileChange] = []
        for file in try mergeSections(patch.files, repairs: &resolver.repairs) {
            let change = try resolver.resolve(file)
            if change.edits.isEmpty, change.kind == .modify, change.newMode == nil { continue }  // a no-op
            changes.append(change)
        }
        guard !changes.isEmpty else {
            throw PatchError(.empty, "The diff changes nothing in the repository.")
        }
        let output = Renderer.render(changes)
        let verdict = GitApply.check(
            output.text, in: tree, paths: changes.flatMap { [$0.oldPath, $0.newPath].compactMap(\.self) })
        guard verdict.succeeded else {
            let errors = verdict.errors.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PatchError(
                .applyCheck, path: changes.map(\.touchedPath).first { errors.contains($0) },
                "git apply --check refused the repaired diff: \(errors)")
        }
        return ResolvedPatch(
            canonicalDiff: output.text, files: unique(changes.map(\.touchedPath)), repairs: resolver.repairs,
            linesAdded: output.added, linesRemoved: output.removed)
    }

    /// Models sometimes split one file's hunks over two sections; those are merged (both were written
    /// against the base). Deleting a file and then creating it again is kept, as git applies it. Any other
    /// path that appears twice is refused: its order would matter.
    static func mergeSections(_ files: [FilePatch], repairs: inout [String]) throws(PatchError) -> [FilePatch] {
        var merged: [FilePatch] = []
        var seen: [String: Int] = [:]
        for file in files {
            if file.isPlainEdit, let path = file.oldPath, let first = seen[path], merged[first].isPlainEdit {
                merged[first].hunks += file.hunks
                repairs.append("\(path): hunks for the file came in several sections; merged them")
                continue
            }
            for path in Set([file.oldPath, file.newPath].compactMap(\.self)) {
                if let first = seen[path], !(merged[first].isDeletion && file.isNewFile) {
                    throw PatchError(
                        .duplicatePath, path: path, line: file.diffLine,
                        "\(path) is changed by more than one file section in a way that cannot be merged; write each file's changes once."
                    )
                }
                seen[path] = merged.count
            }
            merged.append(file)
        }
        return merged
    }
}

/// `paths` without repeats, in first-seen order.
private func unique(_ paths: [String]) -> [String] {
    var seen: Set<String> = []
    return paths.filter { seen.insert($0).inserted }
}

extension FilePatch {
    var isPlainEdit: Bool { !isNewFile && !isDeletion && !isRename && oldPath != nil }
}
