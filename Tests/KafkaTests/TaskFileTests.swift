import Contracts
import Foundation
import Kafka
import TestSupport
import Testing

struct TaskFileTests {
    func decode(_ json: String) throws(TaskFileError) -> TaskBundle {
        try TaskFile.decode(Data(json.utf8))
    }

    func fieldAtFault(_ json: String) -> String? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error.field
        }
    }

    @Test func acceptsABundleWithProtoNamesOrLowerCamel() throws {
        let protoNames = try decode(#"{"bundle_id": "b", "tasks": [{"id": "T-1", "goal": "g", "base_commit": "abc", "blob_ids": ["x"], "reserved_lease_ids": ["42"]}]}"#)
        let lowerCamel = try decode(#"{"bundleId": "b", "tasks": [{"id": "T-1", "goal": "g", "baseCommit": "abc", "blobIds": ["x"], "reservedLeaseIds": ["42"]}]}"#)
        #expect(protoNames == lowerCamel)
        #expect(protoNames.tasks.first?.baseCommit == "abc")
        #expect(protoNames.tasks.first?.reservedLeaseIds == ["42"])
    }

    @Test func wrapsASingleTaskInABundleNamedAfterIt() throws {
        let bundle = try decode(#"{"id": "T-7", "goal": "fix it", "kind": "FIX", "base_commit": "abc", "repo": "git://x"}"#)
        #expect(bundle.bundleID == "T-7")
        #expect(bundle.tasks.map(\.id) == ["T-7"])
        #expect(bundle.tasks.first?.repo == "git://x")
    }

    @Test func namesTheFieldAtFault() {
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": [{"id": "1", "goal": "g", "base_commit": "a"}, {"id": "2", "goal": "g", "base_comit": "a"}]}"#) == "tasks[1].base_comit")
        #expect(fieldAtFault(#"{"bundle_id": "b", "taks": []}"#) == "taks")
        #expect(fieldAtFault(#"{"id": "1", "goal": 5, "base_commit": "a"}"#) == "goal")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": [{"id": "1", "goal": "g", "base_commit": "a", "blob_ids": "x"}]}"#) == "tasks[0].blob_ids")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": [{"id": "1", "goal": "g"}]}"#) == "tasks[0].base_commit")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": [{"id": "", "goal": "g", "base_commit": "a"}]}"#) == "tasks[0].id")
        #expect(fieldAtFault(#"{"id": "1", "goal": "  ", "base_commit": "a"}"#) == "goal")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": []}"#) == "tasks")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": {}}"#) == "tasks")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": [{"id": "1", "goal": "g", "base_commit": "a"}, {"id": "1", "goal": "h", "base_commit": "a"}]}"#) == "tasks[1].id")
        #expect(fieldAtFault(#"{"id": "1", "goal": "g", "base_commit": "a", "reserved_lease_ids": ["7", "x7"]}"#) == "reserved_lease_ids[1]")
        #expect(fieldAtFault(#"[1, 2]"#) == "")
        #expect(fieldAtFault(#"{"id": "1", "#) == "")
    }

    @Test func knownFieldNamesMatchTheContract() throws {
        let task = CodingTask.with {
            $0.id = "1"; $0.goal = "g"; $0.kind = "k"; $0.path = "p"; $0.blobIds = ["b"]
            $0.reservedLeaseIds = ["1"]; $0.baseCommit = "c"; $0.repo = "r"
        }
        let keys = try JSONSerialization.jsonObject(with: Data(task.protoNamedJSON().utf8)) as? [String: Any]
        #expect(Set(keys?.keys.map { $0 } ?? []) == Set(TaskFile.taskFieldNames))
        let bundle = TaskBundle.with { $0.bundleID = "b"; $0.tasks = [task] }
        let bundleKeys = try JSONSerialization.jsonObject(with: Data(bundle.protoNamedJSON().utf8)) as? [String: Any]
        #expect(Set(bundleKeys?.keys.map { $0 } ?? []) == Set(TaskFile.bundleFieldNames))
    }
}

/// `coding-agent submit` as a user runs it.
@Suite(.timeLimit(.minutes(1)))
struct SubmitCommandTests {
    @Test func submitRejectsAMalformedFileNamingTheField() throws {
        let directory = try makeTemporaryDirectory("submit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("task.json")
        try Data(#"{"bundle_id": "b", "tasks": [{"id": "T-1", "goal": "g", "baseCommit": "abc", "priority": 1}]}"#.utf8).write(to: file)
        // Nothing listens on port 1: the file must be rejected before any connection is tried.
        let output = try run([Paths.product("coding-agent").path, "submit", "--task", file.path, "--bootstrap", "127.0.0.1:1"], check: false)
        #expect(output.status == 65)
        #expect(output.stderr.contains("tasks[0].priority: unknown field"))
    }

    @Test func submitPublishesTheBundleForTheWorkerToDecode() async throws {
        let cluster = try makeCluster(topic: "coding-tasks")
        let directory = try makeTemporaryDirectory("submit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("task.json")
        try Data(#"{"id": "T-1", "goal": "add greet()", "base_commit": "abc"}"#.utf8).write(to: file)
        let output = try run([Paths.product("coding-agent").path, "submit", "--task", file.path, "--bootstrap", cluster.bootstrapServers])
        #expect(output.stdout.contains("submitted bundle T-1 (1 task(s): T-1) to coding-tasks[0]@0"))

        let consumer = try KafkaConsumer(configuration: consumerConfiguration(cluster, topic: "coding-tasks"), logger: testLogger)
        let messages = try await read(from: consumer) { $0.count == 1 }
        await consumer.close()
        cluster.close()
        let bundle = try messages[0].decode(TaskBundle.self)
        #expect(bundle.bundleID == "T-1")
        #expect(bundle.tasks.first?.goal == "add greet()")
        #expect(messages[0].keyString == "T-1")
    }
}
