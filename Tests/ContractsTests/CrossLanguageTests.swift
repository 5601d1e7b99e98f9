import AgentContracts
import Foundation
import SwiftProtobuf
import TestSupport
import Testing

/// What Swift writes, Python's `protobuf` package reads from the same `.proto` files compiled with
/// `protoc --python_out`, and the reverse: the other services of the pipeline are Python.
@Suite(.serialized) struct CrossLanguageTests {
    /// Debian's python3 carries the `protobuf` package (scripts/setup installs python3-protobuf).
    static let python = "/usr/bin/python3"

    static let script = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import contracts_pb2 as c
        mode, path = sys.argv[2], sys.argv[3]
        if mode == "read-result":
            r = c.CommitResult.FromString(open(path, "rb").read())
            assert (r.task_id, r.commit_sha, r.status, r.branch_name) == ("task-42", "89abcdef0123456789abcdef0123456789abcdef", "SUCCESS", "agt/task-42"), r
            assert list(r.notes) == ["lease 9: claim refused", "ünïcode note"], r.notes
        elif mode == "read-bundle":
            b = c.TaskBundle.FromString(open(path, "rb").read())
            assert b.bundle_id == "bundle-1" and len(b.tasks) == 2, b
            t = b.tasks[0]
            assert (t.id, t.goal, t.kind, t.path) == ("task-42", "add a greet() helper", "FEAT", "toolz/itertoolz.py"), t
            assert list(t.blob_ids) == ["blob-1", "blob-2"] and list(t.reserved_lease_ids) == ["7", "9"], t
            assert t.base_commit == "0123456789abcdef0123456789abcdef01234567" and t.HasField("repo"), t
            assert not b.tasks[1].HasField("repo")
        elif mode == "write":
            b = c.TaskBundle(bundle_id="py-bundle", tasks=[c.CodingTask(id="py-1", goal="fix it", kind="FIX",
                blob_ids=["x"], reserved_lease_ids=["3"], base_commit="abc", repo="git://h/r.git")])
            open(path + ".bundle", "wb").write(b.SerializeToString())
            r = c.CommitResult(task_id="py-1", commit_sha="def", status="SOFT_FAIL", branch_name="", notes=["a", "b"])
            open(path + ".result", "wb").write(r.SerializeToString())
        print("ok")
        """

    /// Compiles Protos/contracts.proto for Python into a temporary folder and writes the script there.
    func preparePython() throws -> URL {
        let dir = try makeTemporaryDirectory("pyproto")
        let protos = Paths.packageRoot.appendingPathComponent("Protos")
        try run([
            "protoc", "-I", protos.path, "--python_out=\(dir.path)",
            protos.appendingPathComponent("contracts.proto").path,
        ])
        try Self.script.write(to: dir.appendingPathComponent("check.py"), atomically: true, encoding: .utf8)
        return dir
    }

    func python(_ dir: URL, _ mode: String, _ file: URL) throws -> ProcessOutput {
        try run([Self.python, dir.appendingPathComponent("check.py").path, dir.path, mode, file.path])
    }

    @Test func pythonReadsWhatSwiftWrites() throws {
        let dir = try preparePython()
        defer { try? FileManager.default.removeItem(at: dir) }
        let resultFile = dir.appendingPathComponent("result.bin")
        try (RoundTripTests.sampleResult.serializedData() as Data).write(to: resultFile)
        #expect(try python(dir, "read-result", resultFile).stdout.contains("ok"))

        var bundle = TaskBundle()
        bundle.bundleID = "bundle-1"
        var second = RoundTripTests.sampleTask
        second.clearRepo()
        bundle.tasks = [RoundTripTests.sampleTask, second]
        let bundleFile = dir.appendingPathComponent("bundle.bin")
        try (bundle.serializedData() as Data).write(to: bundleFile)
        #expect(try python(dir, "read-bundle", bundleFile).stdout.contains("ok"))
    }

    @Test func swiftReadsWhatPythonWrites() throws {
        let dir = try preparePython()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = dir.appendingPathComponent("out")
        _ = try python(dir, "write", base)
        let bundle = try TaskBundle(serializedBytes: Data(contentsOf: URL(fileURLWithPath: base.path + ".bundle")))
        #expect(bundle.bundleID == "py-bundle")
        #expect(bundle.tasks.count == 1)
        #expect(
            bundle.tasks[0].id == "py-1" && bundle.tasks[0].kind == "FIX" && bundle.tasks[0].repo == "git://h/r.git")
        #expect(bundle.tasks[0].reservedLeaseIds == ["3"] && bundle.tasks[0].baseCommit == "abc")
        let result = try CommitResult(serializedBytes: Data(contentsOf: URL(fileURLWithPath: base.path + ".result")))
        #expect(
            result.taskID == "py-1" && result.status == CommitStatus.softFail.rawValue && result.notes == ["a", "b"])
    }
}
