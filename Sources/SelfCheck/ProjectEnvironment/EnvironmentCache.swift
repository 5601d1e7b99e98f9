import Foundation

/// The environments directory, trimmed by size: least recently used (directory mtime, touched on every
/// use) first, never the one just built or used, never one a running check holds (`EnvironmentLease`).
struct EnvironmentCache {
    let directory: URL

    func trim(toBytes cap: UInt64, keeping key: String) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
            !$0.hasPrefix(".")
        }
        var entries: [(name: String, used: Date, bytes: UInt64)] = names.map { name in
            let path = directory.appendingPathComponent(name).path
            let used =
                (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            return (name, used, Self.size(of: path))
        }
        var total = entries.reduce(0) { $0 + $1.bytes }
        entries.sort { $0.used < $1.used }
        for entry in entries where total > cap && entry.name != key {
            if EnvironmentLease.removeUnlessInUse(directory.appendingPathComponent(entry.name)) {
                total -= entry.bytes
            }
        }
    }

    /// Bytes of regular files under `path` (lstat: symlinks are not followed).
    static func size(of path: String) -> UInt64 {
        var total: UInt64 = 0
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        for case let relative as String in walker {
            var info = stat()
            if lstat(path + "/" + relative, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                total += UInt64(info.st_size)
            }
        }
        return total
    }
}
