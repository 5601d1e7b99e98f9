import Foundation

/// The id of a task that came without one, as the original design sends them: stable, so that a
/// redelivered bundle maps each task to the same `agt/<id>` branch (and is answered from it).
public enum TaskIdentity {
    /// The task's own id; when it has none, `<bundle_id>-<position>` (position from 1) when the bundle
    /// id is usable in a branch name, else `task-<hash>-<position>` with a hash of the bundle id, or of
    /// the task itself when the bundle has no id either.
    public static func id(of task: CodingTask, bundleID: String, position: Int) -> String {
        guard task.id.isEmpty else { return task.id }
        if isUsable(bundleID) { return "\(bundleID)-\(position)" }
        let hashed = bundleID.isEmpty ? ((try? task.serializedBytes()) ?? []) : Array(bundleID.utf8)
        return "task-\(fnv1a(hashed))-\(position)"
    }

    /// The note a result carries when its id was derived, nil when the task had one.
    public static func note(for task: CodingTask, bundleID: String, position: Int) -> String? {
        guard task.id.isEmpty else { return nil }
        let source =
            isUsable(bundleID)
            ? "bundle \(bundleID)" : bundleID.isEmpty ? "a hash of the task" : "a hash of the bundle id"
        return
            "the task has no id: \(id(of: task, bundleID: bundleID, position: position)) is derived from \(source) and the task's position \(position)"
    }

    /// Letters, digits, `.`, `_`, `-`, starting with a letter or digit, no `..`: a safe branch component.
    static func isUsable(_ bundleID: String) -> Bool {
        guard let first = bundleID.unicodeScalars.first, bundleID.count <= 160, !bundleID.contains("..") else {
            return false
        }
        func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        return isAlphanumeric(first)
            && bundleID.unicodeScalars.allSatisfy { isAlphanumeric($0) || "._-".unicodeScalars.contains($0) }
    }

    /// 64-bit FNV-1a as 16 hex digits: stable across processes and versions (unlike `Hasher`).
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
