import Foundation

/// The files `check` reads and writes, checked before the check runs so that bad input is a usage
/// error (64), never the "a check failed" status.
enum CheckInput {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The diff from `path`, or standard input for `-`; it must be UTF-8 text.
    static func readDiff(_ path: String) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw Problem(description: "--diff \(path): no such file")
            }
            guard !isDirectory.boolValue else { throw Problem(description: "--diff \(path): is a directory") }
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw Problem(description: "--diff \(path): cannot be read")
            }
            data = contents
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw Problem(description: "--diff \(path): not UTF-8 text")
        }
        return text
    }

    /// Why a report could not be written to `path`, or nil when it can: the folder must exist and be
    /// writable, and an existing `path` must be a writable file.
    static func unwritableReason(_ path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return "is a directory" }
            return access(url.path, W_OK) == 0 ? nil : "not writable"
        }
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "its folder \(folder) does not exist"
        }
        return access(folder, W_OK) == 0 ? nil : "its folder \(folder) is not writable"
    }
}
