import AgentContracts
import AgentCore
import AgentServices
import Foundation
import GRPCCore
import LLM
import Logging
import TestSupport
import Testing

/// The RAG and SRM clients against real gRPC servers on loopback (about 2 s in all).
@Suite(.serialized, .timeLimit(.minutes(2))) struct ServiceClientTests {
    let logger = AgentBed.quiet

    func task(blobIDs: [String]) -> CodingTask {
        .with {
            $0.id = "S1"
            $0.path = "toolz/itertoolz.py"
            $0.blobIds = blobIDs
        }
    }

    @Test func addressesParseAndBadOnesSayWhy() throws {
        #expect(try ServiceAddress(parsing: "127.0.0.1:9090") == ServiceAddress(host: "127.0.0.1", port: 9090))
        #expect(try ServiceAddress(parsing: "[::1]:50051") == ServiceAddress(host: "::1", port: 50051))
        #expect(try ServiceAddress(parsing: "rag.internal:443").description == "rag.internal:443")
        for bad in ["localhost", "rag:0", "rag:http", ":80", "[::1]9090", "http://rag:80"] {
            #expect(throws: ServiceAddressError.self, "\(bad)") { try ServiceAddress(parsing: bad) }
        }
        #expect(throws: ServiceAddressError.self) { try ServiceAddress(parsing: "rag") }
        do { _ = try ServiceAddress(parsing: "rag:99999") } catch {
            #expect(error.description.contains("1 to 65535"))
        }
    }

    @Test func ragSnippetsComeWithTheTaskFileFirstAfterARetry() async throws {
        let rag = RecordingRAG(
            [
                .make("b-utils", "toolz/utils.py", "def no_default(): ..."),
                .make("b-own", "toolz/itertoolz.py", "def remove(predicate, seq): ..."),
            ], failingFirst: 1)
        let host = try await GRPCServiceHost.start(services: [rag])
        let connection = try ServiceConnection(address: host.address, logger: logger)
        let snippets = try await RagContextSource(connection: connection, policy: .quick())
            .snippets(
                for: task(blobIDs: ["b-utils", "b-own", "b-unknown"]), checkout: URL(fileURLWithPath: "/nonexistent"))
        await connection.shutdown()
        await host.stop()
        #expect(snippets.map(\.path) == ["toolz/itertoolz.py", "toolz/utils.py"])
        #expect(snippets.first?.text == "def remove(predicate, seq): ...")
        #expect(
            rag.requests == [["b-utils", "b-own", "b-unknown"], ["b-utils", "b-own", "b-unknown"]],
            "one outage, one retry")
    }

    /// 5,000 snippets of 1 KiB (5 MB) with the task's own file last: the agent keeps 64 KiB of the
    /// others and still puts the own file first.
    @Test func aFloodOfSnippetsIsCutToWhatThePromptCouldUseAndTheOwnFileStaysFirst() async throws {
        let others = (0..<5_000).map {
            Snippet.make("b-\($0)", "toolz/other\($0).py", String(repeating: "x", count: 1024))
        }
        let rag = RecordingRAG(others + [.make("b-own", "toolz/itertoolz.py", "def remove(predicate, seq): ...")])
        let host = try await GRPCServiceHost.start(services: [rag])
        let connection = try ServiceConnection(address: host.address, logger: logger)
        let snippets = try await RagContextSource(connection: connection, policy: .quick())
            .snippets(
                for: task(blobIDs: others.map(\.blobID) + ["b-own"]), checkout: URL(fileURLWithPath: "/nonexistent"))
        await connection.shutdown()
        await host.stop()
        #expect(snippets.first?.path == "toolz/itertoolz.py", "the task's file first, though it came last")
        #expect(snippets.count == 1 + 64, "64 KiB of the other files kept, not 5,000 snippets")
        #expect(snippets.dropFirst().map(\.path) == (0..<64).map { "toolz/other\($0).py" }, "the first ones, in order")
    }

    @Test func ragPastItsDeadlineFailsAfterTheRetriesNamingTheService() async throws {
        let rag = RecordingRAG([.make("b1", "a.py", "x")], delay: .seconds(1))
        let host = try await GRPCServiceHost.start(services: [rag])
        let connection = try ServiceConnection(address: host.address, logger: logger)
        let source = RagContextSource(connection: connection, policy: .quick(deadline: .milliseconds(200)))
        let error = await #expect(throws: ServiceCallError.self) {
            try await source.snippets(for: task(blobIDs: ["b1"]), checkout: URL(fileURLWithPath: "/nonexistent"))
        }
        await connection.shutdown()
        await host.stop()
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.calls == 3)
        #expect(
            error?.description.hasPrefix("RAG at \(host.address) failed after 3 calls: deadlineExceeded") == true,
            "\(String(describing: error))")
        #expect(rag.requests.count == 3)
    }

    @Test func aTaskWithoutBlobIDsGetsItsFileFromTheCheckoutWithoutACall() async throws {
        let checkout = try makeTemporaryDirectory("rag-checkout")
        defer { try? FileManager.default.removeItem(at: checkout) }
        try FileManager.default.createDirectory(
            at: checkout.appendingPathComponent("toolz"), withIntermediateDirectories: true)
        try "def remove(): pass\n".write(
            to: checkout.appendingPathComponent("toolz/itertoolz.py"), atomically: true, encoding: .utf8)
        let connection = try ServiceConnection(address: try await deadAddress(), logger: logger)
        let snippets = try await RagContextSource(connection: connection, policy: .quick()).snippets(
            for: task(blobIDs: []), checkout: checkout)
        await connection.shutdown()
        #expect(snippets == [ContextSnippet(path: "toolz/itertoolz.py", text: "def remove(): pass\n")])
    }

    @Test(
        .enabled(
            if: (try? String(contentsOfFile: "/proc/sys/net/ipv6/conf/lo/disable_ipv6", encoding: .utf8))?.hasPrefix(
                "0") == true,
            "IPv6 on the loopback"))
    func theDevelopmentSRMServesOnIPv6AndTheClientReachesIt() async throws {
        let srm = try await DevelopmentSRM.start(host: "::1", refusing: [])
        #expect(srm.address.host == "::1")
        #expect(srm.address.description == "[::1]:\(srm.address.port)")
        let address = try ServiceAddress(parsing: srm.address.description)
        let connection = try ServiceConnection(address: address, logger: logger)
        let reply = try await SrmLeaseClaimer(connection: connection, policy: .quick()).claim(
            leaseID: 3, commitSHA: "abc123")
        await connection.shutdown()
        await srm.stop()
        #expect(reply.ok)
        #expect(srm.claims == [.init(leaseID: 3, commitSHA: "abc123", granted: true)])
    }

    @Test func srmRecordsClaimsAndAnswersRefusals() async throws {
        let srm = try await DevelopmentSRM.start(refusing: [9])
        let connection = try ServiceConnection(address: srm.address, logger: logger)
        let claimer = SrmLeaseClaimer(connection: connection, policy: .quick())
        let granted = try await claimer.claim(leaseID: 7, commitSHA: "abc123")
        let refused = try await claimer.claim(leaseID: 9, commitSHA: "abc123")
        await connection.shutdown()
        await srm.stop()
        #expect(granted.ok)
        #expect(!refused.ok)
        #expect(refused.message.contains("refused"))
        #expect(
            srm.claims == [
                .init(leaseID: 7, commitSHA: "abc123", granted: true),
                .init(leaseID: 9, commitSHA: "abc123", granted: false),
            ])
    }

    @Test func srmDownFailsAsUnavailableAfterTheRetries() async throws {
        let address = try await deadAddress()
        let connection = try ServiceConnection(address: address, logger: logger)
        let error = await #expect(throws: ServiceCallError.self) {
            try await SrmLeaseClaimer(connection: connection, policy: .quick()).claim(leaseID: 7, commitSHA: "abc123")
        }
        await connection.shutdown()
        #expect(error?.code == .unavailable)
        #expect(error?.calls == 3)
        #expect(
            error?.description.hasPrefix("SRM at \(address) failed after 3 calls: unavailable") == true,
            "\(String(describing: error))")
    }

    @Test func aShutDownConnectionRefusesCallsAtOnce() async throws {
        let srm = try await DevelopmentSRM.start()
        let connection = try ServiceConnection(address: srm.address, logger: logger)
        let claimer = SrmLeaseClaimer(connection: connection, policy: .quick())
        #expect(try await claimer.claim(leaseID: 1, commitSHA: "abc").ok)
        await connection.shutdown()
        let error = await #expect(throws: ServiceCallError.self) {
            try await claimer.claim(leaseID: 2, commitSHA: "abc")
        }
        await srm.stop()
        #expect(error?.calls == 1, "a stopped client is not a transient failure")
        #expect(srm.claims.map(\.leaseID) == [1])
    }
}
