import AgentContracts
import Contracts
import Foundation
import SwiftProtobuf
import Testing

/// Every contract message survives binary and JSON round trips unchanged.
@Suite struct RoundTripTests {
    static var sampleTask: CodingTask {
        var task = CodingTask()
        task.id = "task-42"
        task.goal = "add a greet() helper"
        task.kind = "FEAT"
        task.path = "toolz/itertoolz.py"
        task.blobIds = ["blob-1", "blob-2"]
        task.reservedLeaseIds = ["7", "9"]
        task.baseCommit = "0123456789abcdef0123456789abcdef01234567"
        task.repo = "git://127.0.0.1/toolz.git"
        return task
    }

    static var sampleResult: CommitResult {
        var result = CommitResult()
        result.taskID = "task-42"
        result.commitSha = "89abcdef0123456789abcdef0123456789abcdef"
        result.status = CommitStatus.success.rawValue
        result.branchName = "agt/task-42"
        result.notes = ["lease 9: claim refused", "ünïcode note"]
        return result
    }

    static var sampleReport: CheckReport {
        var step = StepResult()
        step.name = "pytest"
        step.status = .failed
        step.exitCode = 1
        step.limitHit = .wallTime
        step.durationMs = 1234
        step.peakRssKb = 56_000
        step.outputTail = "1 failed"
        step.newFailures = [
            .with {
                $0.kind = .test
                $0.key = "tests/test_x.py::test_y"
                $0.message = "assert 1 == 2"
            }
        ]
        var report = CheckReport()
        report.requestID = "r1"
        report.verdict = .fail
        report.steps = [step]
        report.patch = .with {
            $0.files = ["a.py"]
            $0.repaired = true
            $0.repairs = ["recounted hunk 1"]
        }
        return report
    }

    func roundTrip<M: SwiftProtobuf.Message & Equatable>(_ message: M) throws {
        let binary: Data = try message.serializedData()
        #expect(try M(serializedBytes: binary) == message)
        #expect(try M(jsonString: message.jsonString()) == message)
        #expect(try M(jsonString: message.protoNamedJSON()) == message)
    }

    @Test func codingTaskAndBundleRoundTrip() throws {
        try roundTrip(Self.sampleTask)
        var bundle = TaskBundle()
        bundle.bundleID = "bundle-1"
        bundle.tasks = [Self.sampleTask, CodingTask()]
        try roundTrip(bundle)
    }

    @Test func optionalRepoIsDistinguishedFromEmpty() throws {
        var task = Self.sampleTask
        task.clearRepo()
        let decoded = try CodingTask(serializedBytes: task.serializedData() as Data)
        #expect(!decoded.hasRepo)
        task.repo = ""
        #expect(try CodingTask(serializedBytes: task.serializedData() as Data).hasRepo)
    }

    @Test func commitResultRoundTrip() throws {
        try roundTrip(Self.sampleResult)
    }

    @Test func ragAndSrmMessagesRoundTrip() throws {
        try roundTrip(SnippetRequest.with { $0.blobIds = ["a", "b"] })
        try roundTrip(
            Snippet.with {
                $0.blobID = "a"
                $0.path = "x.py"
                $0.snippet = "def f():\n    pass\n"
            })
        try roundTrip(
            ClaimRequest.with {
                $0.leaseID = Int64.max
                $0.commitSha = "abc"
            })
        try roundTrip(
            ClaimReply.with {
                $0.ok = false
                $0.message = "lease expired"
            })
    }

    @Test func runnerMessagesRoundTrip() throws {
        var request = CheckRequest()
        request.requestID = "r1"
        request.repoPath = "/srv/checkout"
        request.diff = "--- a/x\n+++ b/x\n"
        request.steps = ["black", "ruff", "pytest"]
        request.limits = .with {
            $0.wallTimeMs = 60_000
            $0.memoryBytes = 1 << 30
        }
        request.stepTimeoutsMs = ["pytest": 120_000]
        try roundTrip(ClientFrame.with { $0.check = request })
        try roundTrip(ClientFrame.with { $0.cancel = .with { $0.requestID = "r1" } })
        try roundTrip(ServerFrame.with { $0.report = Self.sampleReport })
        try roundTrip(
            ServerFrame.with {
                $0.event = .with {
                    $0.requestID = "r1"
                    $0.output = .with {
                        $0.step = "pytest"
                        $0.data = Data([0, 255, 10])
                    }
                }
            })
        try roundTrip(
            ServerFrame.with {
                $0.error = .with {
                    $0.code = "busy"
                    $0.message = "queue full"
                }
            })
    }

    @Test func commitResultKeepsTheSeedFieldNumbers() throws {
        // task_id = 1, commit_sha = 2, status = 3, branch_name = 4, notes = 5 (seed §1), as raw wire bytes.
        let result = CommitResult.with {
            $0.taskID = "t"
            $0.commitSha = "c"
            $0.status = "S"
            $0.branchName = "b"
            $0.notes = ["n"]
        }
        let bytes = [UInt8](try result.serializedData() as Data)
        #expect(bytes == [0x0A, 1, 0x74, 0x12, 1, 0x63, 0x1A, 1, 0x53, 0x22, 1, 0x62, 0x2A, 1, 0x6E])
    }

    @Test func reportJSONUsesProtoFieldNames() throws {
        let json = try Self.sampleReport.protoNamedJSON()
        #expect(json.contains("\"exit_code\":1"))
        #expect(json.contains("\"limit_hit\":\"wall_time\""))
        #expect(json.contains("\"new_failures\""))
        #expect(!json.contains("exitCode"))
    }
}
