import Foundation

/// Which tests executed which functions at the base, as the entry point recorded it
/// (scripts/check-tools/selfcheck_testmap.py). It is written inside the sandbox by a run of the base's
/// own tests, so it is parsed as untrusted data: anything malformed is no map, and every test runs.
struct TestMap: Codable, Sendable, Equatable {
    static let version = 1
    static let path = ".selfcheck/testmap.json"

    struct File: Codable, Sendable, Equatable {
        var sha1: String
        /// [first line (decorators included), first body line, last line, column of `def`].
        var functions: [[Int]]
    }

    var version: Int
    /// Why the recording cannot be trusted (a test replaced the trace function…); nil when it can.
    var lost: String?
    var files: [String: File]
    /// Functions run outside a single test (collection, a fixture shared by several tests), by file.
    var shared: [String: [Int]]
    /// Per test node id: the functions it executed, by file (-1: the module's own code).
    var tests: [String: [String: [Int]]]
    /// Tests that started a process: what the child ran is not in the map, so they always run.
    var always: [String]

    /// The map a base run wrote, or nil with the reason it cannot be used.
    static func parse(_ data: Data?) -> Result<TestMap, TestChoice> {
        guard let data else { return .failure(.all("the base run wrote no test map")) }
        guard let map = try? JSONDecoder().decode(TestMap.self, from: data), map.version == version else {
            return .failure(.all("the test map of the base is not readable"))
        }
        if let lost = map.lost { return .failure(.all("the test map of the base is incomplete: \(lost)")) }
        return .success(map)
    }

    /// A function as the selection reads it; nil when the entry is malformed.
    static func function(_ entry: [Int]) -> (first: Int, bodyFirst: Int, last: Int, column: Int)? {
        guard entry.count == 4, entry[0] <= entry[1], entry[0] <= entry[2] else { return nil }
        return (entry[0], entry[1], entry[2], entry[3])
    }
}
