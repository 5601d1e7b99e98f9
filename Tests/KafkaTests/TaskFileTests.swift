import AgentContracts
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
        let protoNames = try decode(
            #"{"bundle_id": "b", "tasks": [{"id": "T-1", "goal": "g", "base_commit": "abc", "blob_ids": ["x"], "reserved_lease_ids": ["42"]}]}"#
        )
        let lowerCamel = try decode(
            #"{"bundleId": "b", "tasks": [{"id": "T-1", "goal": "g", "baseCommit": "abc", "blobIds": ["x"], "reservedLeaseIds": ["42"]}]}"#
        )
        #expect(protoNames == lowerCamel)
        #expect(protoNames.tasks.first?.baseCommit == "abc")
        #expect(protoNames.tasks.first?.reservedLeaseIds == ["42"])
    }

    @Test func wrapsASingleTaskInABundleNamedAfterIt() throws {
        let bundle = try decode(
            #"{"id": "T-7", "goal": "fix it", "kind": "FIX", "base_commit": "abc", "repo": "git://x"}"#)
        #expect(bundle.bundleID == "T-7")
        #expect(bundle.tasks.map(\.id) == ["T-7"])
        #expect(bundle.tasks.first?.repo == "git://x")
    }

    /// The original design's smoke task: no id, no base_commit. The agent derives the id and works on
    /// the remote's default branch (TaskProcessorTests, OnceCommandTests).
    @Test func acceptsTheOriginalDesignsTaskWithoutIdOrBaseCommit() throws {
        let single = try decode(#"{"goal": "add greet()", "path": "dummy.py"}"#)
        #expect(single.tasks.map(\.goal) == ["add greet()"])
        #expect(single.tasks[0].id.isEmpty && single.tasks[0].baseCommit.isEmpty)
        let bundle = try decode(
            #"{"bundle_id": "b", "tasks": [{"goal": "g"}, {"goal": "h"}, {"id": "x", "goal": "i"}]}"#)
        #expect(bundle.tasks.count == 3)
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": [{"id": "1", "goal": ""}]}"#) == "tasks[0].goal")
    }

    /// A derived id is the same for a redelivery and differs by position; a bundle id unfit for a branch
    /// name is hashed, never copied into one.
    @Test func derivedTaskIdsAreStableAndSafe() throws {
        let task = CodingTask.with {
            $0.goal = "add greet()"
            $0.path = "dummy.py"
        }
        #expect(TaskIdentity.id(of: task, bundleID: "bundle-7", position: 1) == "bundle-7-1")
        #expect(TaskIdentity.id(of: task, bundleID: "bundle-7", position: 2) == "bundle-7-2")
        #expect(TaskIdentity.id(of: CodingTask.with { $0.id = "own" }, bundleID: "bundle-7", position: 1) == "own")
        #expect(TaskIdentity.note(for: CodingTask.with { $0.id = "own" }, bundleID: "b", position: 1) == nil)
        #expect(TaskIdentity.note(for: task, bundleID: "bundle-7", position: 2)?.contains("bundle-7-2") == true)
        for hostile in [
            "../../etc", "-x", "a b", "refs/heads/main", "x..y", ".lock", "é", String(repeating: "a", count: 300),
        ] {
            let id = TaskIdentity.id(of: task, bundleID: hostile, position: 1)
            #expect(
                id.hasPrefix("task-") && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") },
                "\(hostile) → \(id)")
            #expect(id == TaskIdentity.id(of: task, bundleID: hostile, position: 1))
        }
        // No bundle id either: a hash of the task, so a redelivery of the same task maps to the same id.
        let anonymous = TaskIdentity.id(of: task, bundleID: "", position: 1)
        #expect(anonymous == TaskIdentity.id(of: task, bundleID: "", position: 1))
        #expect(anonymous != TaskIdentity.id(of: CodingTask.with { $0.goal = "other" }, bundleID: "", position: 1))
        #expect(anonymous.count == "task-".count + 16 + "-1".count)
    }

    @Test func namesTheFieldAtFault() {
        #expect(
            fieldAtFault(
                #"{"bundle_id": "b", "tasks": [{"id": "1", "goal": "g", "base_commit": "a"}, {"id": "2", "goal": "g", "base_comit": "a"}]}"#
            ) == "tasks[1].base_comit")
        #expect(fieldAtFault(#"{"bundle_id": "b", "taks": []}"#) == "taks")
        #expect(fieldAtFault(#"{"id": "1", "goal": 5, "base_commit": "a"}"#) == "goal")
        #expect(
            fieldAtFault(
                #"{"bundle_id": "b", "tasks": [{"id": "1", "goal": "g", "base_commit": "a", "blob_ids": "x"}]}"#)
                == "tasks[0].blob_ids")
        #expect(fieldAtFault(#"{"id": "1", "goal": "  ", "base_commit": "a"}"#) == "goal")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": []}"#) == "tasks")
        #expect(fieldAtFault(#"{"bundle_id": "b", "tasks": {}}"#) == "tasks")
        #expect(
            fieldAtFault(
                #"{"bundle_id": "b", "tasks": [{"id": "1", "goal": "g", "base_commit": "a"}, {"id": "1", "goal": "h", "base_commit": "a"}]}"#
            ) == "tasks[1].id")
        #expect(
            fieldAtFault(#"{"id": "1", "goal": "g", "base_commit": "a", "reserved_lease_ids": ["7", "x7"]}"#)
                == "reserved_lease_ids[1]")
        #expect(fieldAtFault(#"[1, 2]"#) == "")
        #expect(fieldAtFault(#"{"id": "1", "#) == "")
    }

    @Test func knownFieldNamesMatchTheContract() throws {
        let task = CodingTask.with {
            $0.id = "1"
            $0.goal = "g"
            $0.kind = "k"
            $0.path = "p"
            $0.blobIds = ["b"]
            $0.reservedLeaseIds = ["1"]
            $0.baseCommit = "c"
            $0.repo = "r"
        }
        let keys = try JSONSerialization.jsonObject(with: Data(task.protoNamedJSON().utf8)) as? [String: Any]
        #expect(Set(keys?.keys.map { $0 } ?? []) == Set(TaskFile.taskFieldNames))
        let bundle = TaskBundle.with {
            $0.bundleID = "b"
            $0.tasks = [task]
        }
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
        try Data(#"{"bundle_id": "b", "tasks": [{"id": "T-1", "goal": "g", "baseCommit": "abc", "priority": 1}]}"#.utf8)
            .write(to: file)
        // Nothing listens on port 1: the file must be rejected before any connection is tried.
        let output = try run(
            [Paths.product("coding-agent").path, "submit", "--task", file.path, "--bootstrap", "127.0.0.1:1"],
            check: false)
        #expect(output.status == 65)
        #expect(output.stderr.contains("tasks[0].priority: unknown field"))
    }

    @Test func submitPublishesTheBundleForTheWorkerToDecode() async throws {
        let cluster = try makeCluster(topic: "coding-tasks")
        let directory = try makeTemporaryDirectory("submit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("task.json")
        try Data(#"{"id": "T-1", "goal": "add greet()", "base_commit": "abc"}"#.utf8).write(to: file)
        let output = try run([
            Paths.product("coding-agent").path, "submit", "--task", file.path, "--bootstrap", cluster.bootstrapServers,
        ])
        #expect(output.stdout.contains("submitted bundle T-1 (1 task(s): T-1) to coding-tasks[0]@0"))

        let consumer = try KafkaConsumer(
            configuration: consumerConfiguration(cluster, topic: "coding-tasks"), logger: testLogger)
        let messages = try await read(from: consumer) { $0.count == 1 }
        await consumer.close()
        cluster.close()
        let bundle = try messages[0].decode(TaskBundle.self)
        #expect(bundle.bundleID == "T-1")
        #expect(bundle.tasks.first?.goal == "add greet()")
        #expect(messages[0].keyString == "T-1")
    }
}
