import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The Prometheus endpoint: `GET /metrics` on a TCP port answers the text exposition format of every
/// metric recorded through swift-metrics. Runs as a `Service` until graceful shutdown.
public struct MetricsEndpoint: Service {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    /// Bootstraps swift-metrics with a Prometheus registry and returns the endpoint serving it. Call once
    /// per process, before any metric is created (metrics made earlier stay no-ops).
    /// - Parameters:
    ///   - host: the address to listen on (all interfaces by default, for a scraper in another container).
    ///   - port: the TCP port.
    ///   - valueHistogramBuckets: buckets of aggregated recorders, by metric name (e.g. attempts per task).
    public static func bootstrap(
        host: String = "0.0.0.0", port: Int, valueHistogramBuckets: [String: [Double]] = [:], logger: Logger
    ) -> MetricsEndpoint {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Checks and model calls take seconds to minutes; the default buckets stop at 10 s.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
            .seconds(300),
        ]
        factory.valueHistogramBuckets = valueHistogramBuckets
        MetricsSystem.bootstrap(factory)
        return MetricsEndpoint(host: host, port: port, registry: registry, logger: logger)
    }

    public func run() async throws {
        let registry = registry
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw MetricsEndpointError(description: "cannot listen for /metrics on \(host):\(port): \(error)")
        }
        logger.info("metrics endpoint listening", metadata: ["address": "\(host):\(port)"])
        // Serve until the group shuts down; a cancelled group ends here too.
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

public struct MetricsEndpointError: Error, CustomStringConvertible {
    public var description: String
}

/// Answers `GET /metrics` with the registry's text format and the process's own series, and anything
/// else with 404.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let found = head.method == .GET && path == "/metrics"
            let body =
                found ? registry.emitToString() + ProcessMetrics.text() : "not found: the metrics are at /metrics\n"
            var headers = HTTPHeaders()
            headers.add(
                name: "Content-Type",
                value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            context.write(
                wrapOutboundOut(
                    .head(HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers))),
                promise: nil)
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
