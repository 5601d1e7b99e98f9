import AgentServices
import ArgumentParser
import Foundation
import Logging
import Logs
import ServiceLifecycle
import Telemetry

/// `coding-agent dev-srm`: the development SRM that records (and logs) every claim.
struct DevSRMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-srm",
        abstract:
            "Serve a development SRM (SymbolReservation over gRPC) that grants and logs every claim, until SIGINT or SIGTERM.",
        discussion: """
            Plaintext HTTP/2 on an IPv4 or IPv6 address; point the agent at it with SRM_ADDR=HOST:PORT \
            ([V6-ADDRESS]:PORT). Each claim is logged on standard error; the address is printed on \
            standard output once it listens.
            Exit codes: 0 stopped by SIGINT or SIGTERM, 1 it could not listen, 64 usage.
            """)

    @Option(help: "IPv4 or IPv6 address to listen on (e.g. 127.0.0.1, ::1, ::).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 9090

    @Option(help: "Lease ids whose claims are refused, comma-separated.")
    var refuse = ""

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    var refusedLeases: Set<Int64>? {
        let parts = refuse.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let ids = parts.compactMap { Int64($0) }
        return ids.count == parts.count ? Set(ids) : nil
    }

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard refusedLeases != nil else {
            throw ValidationError("--refuse takes int64 lease ids separated by commas, not \"\(refuse)\"")
        }
    }

    func run() async throws {
        LogSetup.bootstrapOnce(level: Logger.Level(rawValue: logLevel) ?? .info, format: .fromEnvironment)
        let logger = Logger(label: "dev-srm")
        let srm = try await DevelopmentSRM.start(host: host, port: port, refusing: refusedLeases ?? []) { claim in
            logger.info(
                "claim \(claim.granted ? "granted" : "refused")",
                metadata: ["lease_id": "\(claim.leaseID)", "commit_sha": "\(claim.commitSHA)"])
        }
        print(srm.address)
        fflush(nil)  // flush stdout now: scripts wait for this line
        logger.info(
            "listening", metadata: ["address": "\(srm.address)", "refusing": "\((refusedLeases ?? []).sorted())"])
        try await ServiceGroup(
            services: [UntilShutdown()], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ).run()
        logger.info("stopping", metadata: ["claims": "\(srm.claims.count)"])
        await srm.stop()
    }
}
