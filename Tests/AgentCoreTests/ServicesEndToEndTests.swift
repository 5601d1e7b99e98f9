import AgentContracts
import AgentCore
import AgentServices
import Foundation
import Kafka
import LLM
import TestSupport
import Testing

/// The agent with every real part: the Kafka mock cluster, toolz on a `git daemon`, `selfcheck-runner
/// serve`, the chat-completions client against a scripted HTTP server, and gRPC RAG and SRM servers on
/// loopback. Asserts on what the servers received. About a minute: Kafka group joins and seven checks.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ServicesEndToEndTests {
    /// One bundle through Kafka, three outcomes, each from a different server's behaviour:
    /// E1 succeeds first try with RAG context and claims its leases (the SRM refuses one);
    /// E2 gets a 500 from the model, retries and succeeds; E3 gets a 401 and is a HARD_FAIL without a retry.
    @Test func aBundleThroughKafkaWithRealServices() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let cluster = try DevelopmentCluster.withAgentTopics()

        let rag = RecordingRAG([
            .make("blob-utils", "toolz/utils.py", "def no_default():  # RAG-SNIPPET-UTILS"),
            .make("blob-own", "toolz/itertoolz.py", "def remove(predicate, seq):  # RAG-SNIPPET-OWN"),
        ])
        let ragHost = try await GRPCServiceHost.start(services: [rag])
        let srm = try await DevelopmentSRM.start(refusing: [9])
        let good = try bed.goodDiff
        let llm = try await ScriptedHTTPServer.start([
            .patch(diff: good),  // E1
            .error(500, "overloaded"), .patch(diff: good),  // E2
            .error(401, "invalid api key"),  // E3
        ])
        let services = try ServiceClients(ragAddress: ragHost.address, srmAddress: srm.address, logger: AgentBed.quiet)

        var first = bed.task("E1", goal: "add total_length for E1", leases: ["7", "9"])
        first.blobIds = ["blob-utils", "blob-own"]
        let bundle = TaskBundle.with {
            $0.bundleID = "B-services"
            $0.tasks = [
                first, bed.task("E2", goal: "add total_length for E2"), bed.task("E3", goal: "add total_length for E3"),
            ]
        }
        let send = try cluster.producer()
        _ = try await send.send(
            topic: "coding-tasks", key: Array("B-services".utf8), value: try bundle.serializedBytes())

        let processor = try bed.processor(chatModel(llm), context: services.context, claimer: services.claimer)
        let byTask = try await cluster.runWorker(processor, untilResults: 3)
        await services.shutdown()
        await ragHost.stop()
        await srm.stop()
        await llm.shutdown()

        // E1: the branch on the server, its parent base_commit; RAG asked for the blobs and the prompt has them, own file first.
        let e1 = try #require(byTask["E1"])
        #expect(e1.status == "SUCCESS", "\(e1.notes)")
        #expect(try bed.served(["rev-parse", "agt/E1"]) == e1.commitSha)
        #expect(try bed.served(["rev-parse", "agt/E1^"]) == bed.fixture.baseCommit)
        #expect(rag.requests == [["blob-utils", "blob-own"]])
        let e1Prompts = try llm.requests(mentioning: "for E1")
        #expect(e1Prompts.count == 1)
        let prompt = try #require(try e1Prompts.first?.userPrompt())
        let own = try #require(prompt.range(of: "RAG-SNIPPET-OWN"))
        let utils = try #require(prompt.range(of: "RAG-SNIPPET-UTILS"))
        #expect(own.lowerBound < utils.lowerBound, "the task's file comes first")
        // The SRM saw each lease with the pushed sha and refused 9; the result says so.
        #expect(
            srm.claims == [
                .init(leaseID: 7, commitSHA: e1.commitSha, granted: true),
                .init(leaseID: 9, commitSHA: e1.commitSha, granted: false),
            ])
        #expect(
            e1.notes.filter { $0.hasPrefix("lease") } == [
                "lease 9: claim refused: lease 9 is refused by this development SRM"
            ])

        // E2: the model server saw the failed request and the retry.
        let e2 = try #require(byTask["E2"])
        #expect(e2.status == "SUCCESS", "\(e2.notes)")
        #expect(try llm.requests(mentioning: "for E2").count == 2)
        #expect(try bed.served(["rev-parse", "agt/E2"]) == e2.commitSha)

        // E3: a bad key is final: one request, no branch.
        let e3 = try #require(byTask["E3"])
        #expect(e3.status == "HARD_FAIL")
        #expect(e3.notes.contains { $0.contains("invalid api key") }, "\(e3.notes)")
        #expect(try llm.requests(mentioning: "for E3").count == 1)
        #expect(try bed.served(["branch", "--list", "agt/E3"]).isEmpty)
        #expect(llm.requests.count == 4)

        // The bundle's offset was committed: a new member of the group starts after it, at the next message.
        _ = try await send.send(topic: "coding-tasks", key: Array("after".utf8), value: Array("next".utf8))
        await send.close()
        let next = try await cluster.firstMessages(
            topic: "coding-tasks", group: "coding-agent", count: 1, within: .seconds(30))
        #expect(next.map(\.keyString) == ["after"])
    }

    /// The loop's other outcomes through Kafka, with the model over HTTP and the SRM over gRPC, all
    /// messages on one partition so they come in order: R3 fails twice differently (a refused diff,
    /// then a failing test) and succeeds on the third attempt; S3 fails three times differently and is
    /// a SOFT_FAIL; U1 names a base commit the server lacks; a poison message; then R3 delivered again,
    /// which is answered from its branch without the model, and claims its lease again.
    @Test func retriesSoftFailUnknownBasePoisonAndRedeliveryThroughKafka() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let cluster = try DevelopmentCluster.withAgentTopics()
        let srm = try await DevelopmentSRM.start(refusing: [])
        func nowhere(_ line: String) -> String {
            "--- a/toolz/itertoolz.py\n+++ b/toolz/itertoolz.py\n@@ -1,2 +1,3 @@\n \(line)\n-in the file\n+at all\n"
        }
        let breaking = try bed.testBreakingDiff
        let llm = try await ScriptedHTTPServer.start([
            .patch(diff: nowhere("R3 line one")), .patch(diff: breaking), .patch(diff: try bed.goodDiff),  // R3
            .patch(diff: nowhere("S3 line one")), .patch(diff: breaking), .patch(diff: nowhere("S3 line three")),  // S3
        ])
        let services = try ServiceClients(ragAddress: nil, srmAddress: srm.address, logger: AgentBed.quiet)

        let retried = bed.task("R3", goal: "add total_length for R3", leases: ["5"])
        var unknownBase = bed.task("U1", goal: "add total_length for U1")
        unknownBase.baseCommit = "0123456789abcdef0123456789abcdef01234567"
        let first = TaskBundle.with {
            $0.bundleID = "B-outcomes"
            $0.tasks = [retried, bed.task("S3", goal: "add total_length for S3"), unknownBase]
        }
        let again = TaskBundle.with {
            $0.bundleID = "B-again"
            $0.tasks = [retried]
        }
        let send = try cluster.producer()
        for value in [try first.serializedBytes(), Array("not a TaskBundle".utf8), try again.serializedBytes()]
            as [[UInt8]]
        {
            _ = try await send.send(topic: "coding-tasks", key: Array("one-partition".utf8), value: value)
        }
        await send.close()

        let processor = try bed.processor(chatModel(llm), context: services.context, claimer: services.claimer)
        let results = try await cluster.runWorkerCollecting(processor, untilResults: 5)
        await services.shutdown()
        await srm.stop()
        await llm.shutdown()

        try #require(results.count == 5, "\(results.map(\.taskID))")
        #expect(
            results.map(\.taskID) == ["R3", "S3", "U1", "one-partition", "R3"], "results in the order of the messages")
        let (r3, s3, u1, poison, redelivered) = (results[0], results[1], results[2], results[3], results[4])

        // R3: three model requests, the second and third prompts carrying the previous failure.
        #expect(r3.status == "SUCCESS", "\(r3.notes)")
        let r3Prompts = try llm.requests(mentioning: "for R3").map { try $0.userPrompt() }
        #expect(r3Prompts.count == 3)
        if r3Prompts.count == 3 {
            #expect(
                r3Prompts[1].contains("R3 line one") && r3Prompts[1].contains("refused"),
                "the second prompt carries the refused diff's reason")
            #expect(r3Prompts[2].contains("test_total_length"), "the third prompt names the failing test")
        }
        #expect(r3.notes.contains { $0.hasPrefix("attempt 3 passed") }, "\(r3.notes)")
        #expect(try bed.served(["rev-parse", "agt/R3"]) == r3.commitSha)
        #expect(try bed.served(["rev-parse", "agt/R3^"]) == bed.fixture.baseCommit)

        // S3: three different failures, no branch; the notes say why each failed.
        #expect(s3.status == "SOFT_FAIL", "\(s3.notes)")
        #expect(try llm.requests(mentioning: "for S3").count == 3)
        #expect(
            s3.notes.contains { $0.contains("S3 line one") } && s3.notes.contains { $0.contains("test_total_length") }
                && s3.notes.contains { $0.contains("S3 line three") }, "\(s3.notes)")
        #expect(s3.commitSha.isEmpty)
        #expect(try bed.served(["branch", "--list", "agt/S3"]).isEmpty)

        // U1: named, without a model call.
        #expect(u1.status == "HARD_FAIL")
        #expect(u1.notes.contains { $0.contains(unknownBase.baseCommit) }, "\(u1.notes)")
        #expect(try llm.requests(mentioning: "for U1").isEmpty)

        // The poison message: a HARD_FAIL saying what was wrong.
        #expect(poison.status == "HARD_FAIL")
        #expect(poison.notes.contains { $0.hasPrefix("undecodable TaskBundle") }, "\(poison.notes)")

        // R3 again: the same commit, one commit on the server, no new model request, the lease claimed again.
        #expect(redelivered.status == "SUCCESS" && redelivered.commitSha == r3.commitSha, "\(redelivered.notes)")
        #expect(try bed.served(["rev-list", "--count", "\(bed.fixture.baseCommit)..agt/R3"]) == "1")
        #expect(llm.requests.count == 6, "no model request for the redelivery")
        #expect(
            srm.claims == [
                .init(leaseID: 5, commitSHA: r3.commitSha, granted: true),
                .init(leaseID: 5, commitSHA: r3.commitSha, granted: true),
            ])
    }

    /// With RAG and SRM both down the task still succeeds: the prompt has the task's file from the
    /// checkout and the result has one note for the context and one per lease that could not be claimed.
    @Test func servicesDownStillSucceedWithANoteForEach() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let llm = try await ScriptedHTTPServer.start([.patch(diff: try bed.goodDiff)])
        let ragAddress = try await deadAddress()
        let srmAddress = try await deadAddress()
        let rag = try ServiceConnection(address: ragAddress, logger: AgentBed.quiet)
        let srm = try ServiceConnection(address: srmAddress, logger: AgentBed.quiet)
        var task = bed.task("D1", leases: ["7", "8"])
        task.blobIds = ["blob-1"]
        let processor = try bed.processor(
            chatModel(llm), context: RagContextSource(connection: rag, policy: .quick()),
            claimer: SrmLeaseClaimer(connection: srm, policy: .quick()))
        let result = await processor.process(task)
        await rag.shutdown()
        await srm.shutdown()
        await llm.shutdown()

        #expect(result.status == "SUCCESS", "\(result.notes)")
        #expect(try bed.served(["rev-parse", "agt/D1"]) == result.commitSha)
        let contextNotes = result.notes.filter { $0.hasPrefix("context service failed") }
        #expect(contextNotes.count == 1)
        #expect(
            contextNotes.first?.contains(
                "the prompt has toolz/itertoolz.py from the checkout instead: RAG at \(ragAddress) failed after 3 calls: unavailable"
            ) == true, "\(contextNotes)")
        #expect(
            try llm.requests.first?.userPrompt().contains("from toolz.utils import no_default") == true,
            "the prompt has the file's text")
        let claimNotes = result.notes.filter { $0.hasPrefix("lease") }
        #expect(claimNotes.count == 2)
        for (lease, note) in zip(["7", "8"], claimNotes) {
            #expect(
                note.hasPrefix("lease \(lease): claim failed: SRM at \(srmAddress) failed after 3 calls: unavailable"),
                "\(note)")
        }
    }
}
