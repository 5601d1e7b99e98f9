import AgentCore
import AgentServices
import Contracts
import Foundation
import Kafka
import LLM
import TestSupport
import Testing

/// The agent with every real part: the Kafka mock cluster, toolz on a `git daemon`, `selfcheck-runner
/// serve`, the chat-completions client against a scripted HTTP server, and gRPC RAG and SRM servers on
/// loopback. Asserts on what the servers received. About 40 s: three Kafka group joins and four checks.
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
            $0.tasks = [first, bed.task("E2", goal: "add total_length for E2"), bed.task("E3", goal: "add total_length for E3")]
        }
        let send = try cluster.producer()
        _ = try await send.send(topic: "coding-tasks", key: Array("B-services".utf8), value: try bundle.serializedBytes())

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
        let own = try #require(prompt.range(of: "RAG-SNIPPET-OWN")), utils = try #require(prompt.range(of: "RAG-SNIPPET-UTILS"))
        #expect(own.lowerBound < utils.lowerBound, "the task's file comes first")
        // The SRM saw each lease with the pushed sha and refused 9; the result says so.
        #expect(srm.claims == [.init(leaseID: 7, commitSHA: e1.commitSha, granted: true), .init(leaseID: 9, commitSHA: e1.commitSha, granted: false)])
        #expect(e1.notes.filter { $0.hasPrefix("lease") } == ["lease 9: claim refused: lease 9 is refused by this development SRM"])

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
        let next = try await cluster.firstMessages(topic: "coding-tasks", group: "coding-agent", count: 1, within: .seconds(30))
        #expect(next.map(\.keyString) == ["after"])
    }

    /// With RAG and SRM both down the task still succeeds: the prompt has the task's file from the
    /// checkout and the result has one note for the context and one per lease that could not be claimed.
    @Test func servicesDownStillSucceedWithANoteForEach() async throws {
        let bed = try AgentBed()
        defer { bed.stop() }
        let llm = try await ScriptedHTTPServer.start([.patch(diff: try bed.goodDiff)])
        let ragAddress = try await deadAddress(), srmAddress = try await deadAddress()
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
        #expect(contextNotes.first?.contains("the prompt has toolz/itertoolz.py from the checkout instead: RAG at \(ragAddress) failed after 3 calls: unavailable") == true, "\(contextNotes)")
        #expect(try llm.requests.first?.userPrompt().contains("from toolz.utils import no_default") == true, "the prompt has the file's text")
        let claimNotes = result.notes.filter { $0.hasPrefix("lease") }
        #expect(claimNotes.count == 2)
        for (lease, note) in zip(["7", "8"], claimNotes) {
            #expect(note.hasPrefix("lease \(lease): claim failed: SRM at \(srmAddress) failed after 3 calls: unavailable"), "\(note)")
        }
    }
}
