import Foundation

/// git's index file (`.git/index`, versions 2 to 4, SHA-1 repositories), read by the runner's own code
/// so that no git process runs in a checkout. Only what telling a clean checkout needs is kept.
struct GitIndex {
    struct Entry {
        var mtimeSeconds: UInt32
        var mtimeNanoseconds: UInt32
        var inode: UInt32
        var mode: UInt32
        var size: UInt32
        var objectID: [UInt8]
        var path: String
        /// Stage 0, not skip-worktree, not intent-to-add: a file the work tree should hold as recorded.
        var isPlain: Bool
    }

    var entries: [Entry]
    /// When the index was written: a file changed at or after it may differ with the same stat data.
    var modified: timespec

    /// Larger indexes (millions of files) are not read: such a checkout is never cached.
    static let sizeLimit = 256 << 20

    /// nil when the file is missing, not a regular file, too large or not an index this reader knows.
    static func read(_ path: String) -> GitIndex? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
            let bytes = CheckoutState.readRegularFile(path, limit: sizeLimit)
        else { return nil }
        return parse(bytes, modified: info.st_mtim)
    }

    static func parse(_ bytes: [UInt8], modified: timespec) -> GitIndex? {
        var reader = Reader(bytes: bytes)
        guard reader.take(4) == Array("DIRC".utf8), let version = reader.word(), (2...4).contains(version),
            let count = reader.word(), Int(count) <= bytes.count / 62
        else { return nil }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var previous: [UInt8] = []
        for _ in 0..<count {
            let start = reader.offset
            guard reader.take(8) != nil,  // ctime
                let mtimeSeconds = reader.word(), let mtimeNanoseconds = reader.word(),
                reader.take(4) != nil, let inode = reader.word(), let mode = reader.word(),
                reader.take(8) != nil,  // uid, gid
                let size = reader.word(), let objectID = reader.take(20), let flags = reader.half()
            else { return nil }
            var extended: UInt16 = 0
            if flags & 0x4000 != 0 {
                guard version >= 3, let more = reader.half() else { return nil }
                extended = more
            }
            var name: [UInt8]
            if version == 4 {
                guard let strip = reader.varint(), strip <= previous.count, let suffix = reader.cString() else {
                    return nil
                }
                name = Array(previous.dropLast(strip)) + suffix
            } else {
                guard let text = reader.cString() else { return nil }
                name = text
                // Entries are padded with NULs to a multiple of eight bytes (at least one NUL, read above).
                let length = reader.offset - start
                guard reader.take((8 - length % 8) % 8) != nil else { return nil }
            }
            previous = name
            guard let path = String(validating: name, as: UTF8.self) else { return nil }
            let stage = (flags >> 12) & 0x3
            entries.append(
                Entry(
                    mtimeSeconds: mtimeSeconds, mtimeNanoseconds: mtimeNanoseconds, inode: inode, mode: mode,
                    size: size,
                    objectID: objectID, path: path, isPlain: stage == 0 && extended & 0x6000 == 0))
        }
        return GitIndex(entries: entries, modified: modified)
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func take(_ count: Int) -> [UInt8]? {
            guard count >= 0, count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        mutating func word() -> UInt32? { take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }
        mutating func half() -> UInt16? { take(2).map { $0.reduce(0) { $0 << 8 | UInt16($1) } } }

        /// Up to the next NUL, which is consumed.
        mutating func cString() -> [UInt8]? {
            guard let end = bytes[offset...].firstIndex(of: 0) else { return nil }
            defer { offset = end + 1 }
            return Array(bytes[offset..<end])
        }

        /// git's offset varint (index v4's prefix length).
        mutating func varint() -> Int? {
            guard var byte = take(1)?.first else { return nil }
            var value = Int(byte & 0x7F)
            while byte & 0x80 != 0 {
                guard value < 1 << 40, let next = take(1)?.first else { return nil }
                byte = next
                value = ((value + 1) << 7) | Int(byte & 0x7F)
            }
            return value
        }
    }
}
