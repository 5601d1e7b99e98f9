// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode with strict concurrency, and warnings as
/// errors (our own targets only; dependencies keep their warnings).
let packageSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-warnings-as-errors"]),
]

// The trust boundary is a module boundary: every target belongs to one side, and a side depends only on
// its own targets and the shared ones (DeployTests reads these arrays and checks the graph).

// MARK: Shared: linked by both executables; nothing here may bring gRPC, HTTP clients, Kafka or the sandbox
let sharedTargets: [Target] = [
    // The runner's protocol messages (runner.proto): plain protobuf, no gRPC.
    .target(
        name: "Contracts",
        dependencies: [
            .product(name: "SwiftProtobuf", package: "swift-protobuf")
        ],
        exclude: ["Generated/protos.sha256"],
        swiftSettings: packageSwiftSettings
    ),
    // The runner protocol's wire format: framing, frame validation, the Unix socket calls.
    .target(
        name: "RunnerProtocol",
        dependencies: [
            "Contracts",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    .target(
        name: "Patch",
        swiftSettings: packageSwiftSettings
    ),
    // Log set-up (human or JSON lines on stderr) and the standard streams: swift-log and
    // FoundationEssentials only, because the lean `selfcheck-runner` links it.
    .target(
        name: "Logs",
        dependencies: [
            .product(name: "Logging", package: "swift-log")
        ],
        swiftSettings: packageSwiftSettings
    ),
    // What the long-running commands run beside their work: the Prometheus /metrics endpoint and
    // process metrics. The only place that knows Prometheus; libraries use swift-metrics.
    .target(
        name: "Telemetry",
        dependencies: [
            "Logs",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: packageSwiftSettings
    ),
]

// MARK: Agent side: coding-agent and what only it links
let agentTargets: [Target] = [
    .systemLibrary(
        name: "CRdKafka",
        pkgConfig: "rdkafka",
        providers: [.apt(["librdkafka-dev"])]
    ),
    // The agent's messages (Kafka tasks and results, RAG, SRM) and the RAG and SRM gRPC services.
    .target(
        name: "AgentContracts",
        dependencies: [
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        ],
        exclude: ["Generated/protos.sha256"],
        swiftSettings: packageSwiftSettings
    ),
    // The runner protocol's client: one check over the runner's socket.
    .target(
        name: "RunnerProtocolClient",
        dependencies: ["Contracts", "RunnerProtocol"],
        swiftSettings: packageSwiftSettings
    ),
    .target(
        name: "AgentCore",
        dependencies: [
            "AgentContracts", "Contracts", "GitWorkspace", "Kafka", "LLM", "Patch", "RunnerProtocol",
            "RunnerProtocolClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    // The gRPC clients for RAG and SRM (plaintext HTTP/2) and the development SRM.
    .target(
        name: "AgentServices",
        dependencies: [
            "AgentContracts", "AgentCore", "LLM",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    .target(
        name: "Kafka",
        dependencies: [
            "CRdKafka",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    .target(
        name: "GitWorkspace",
        dependencies: [
            .product(name: "Logging", package: "swift-log")
        ],
        swiftSettings: packageSwiftSettings
    ),
    .target(
        name: "LLM",
        dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    .executableTarget(
        name: "coding-agent",
        dependencies: [
            "AgentContracts",
            "AgentCore",
            "AgentServices",
            "Contracts",
            "GitWorkspace",
            "Kafka",
            "LLM",
            "Logs",
            "Telemetry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: packageSwiftSettings
    ),
]

// MARK: Runner side: selfcheck-runner and what only it links (the sandbox, the protocol's server)
let runnerTargets: [Target] = [
    .systemLibrary(
        name: "CSeccomp",
        pkgConfig: "libseccomp",
        providers: [.apt(["libseccomp-dev"])]
    ),
    // The child side of clone(): async-signal-safe C only, no Swift runtime after clone.
    .target(
        name: "CSandbox",
        dependencies: ["CSeccomp"],
        cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-Wall", "-Wextra", "-Werror"])],
        linkerSettings: [.linkedLibrary("seccomp")]
    ),
    // Opens a directory as a socket peer (a forked helper with the peer's ids), for RunnerProtocolServer.
    .target(
        name: "CPeerOpen",
        cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])]
    ),
    .target(
        name: "Sandbox",
        dependencies: [
            "CSandbox",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    // The runner protocol's server: connections, access policy, job admission and cancellation.
    .target(
        name: "RunnerProtocolServer",
        dependencies: [
            "CPeerOpen", "Contracts", "RunnerProtocol",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    // `exec`'s request, its fast argument parser and its run: what the lean `selfcheck-runner` links.
    .target(
        name: "RunnerExec",
        dependencies: ["Logs", "Sandbox", .product(name: "Logging", package: "swift-log")],
        swiftSettings: packageSwiftSettings
    ),
    .target(
        name: "SelfCheck",
        dependencies: [
            "Contracts", "Patch", "Sandbox", "RunnerProtocolServer",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    // The command users run. `exec` with plain arguments runs here; everything else is handed to
    // selfcheck-runner-full (execv), so `exec` starts without Foundation, ArgumentParser or SwiftNIO.
    // Release builds link it fully static: no dynamic loader, libraries or symbol look-ups at start
    // (docs/architecture.md says what that trades).
    .executableTarget(
        name: "selfcheck-runner",
        dependencies: ["Logs", "RunnerExec", "Sandbox"],
        swiftSettings: packageSwiftSettings,
        linkerSettings: [.unsafeFlags(["-static-executable"], .when(platforms: [.linux], configuration: .release))]
    ),
    // Every command: check, serve, doctor, version, and exec with help and usage errors.
    .executableTarget(
        name: "selfcheck-runner-full",
        dependencies: [
            "Contracts",
            "Logs",
            "RunnerExec",
            "Patch",
            "Sandbox",
            "SelfCheck",
            "RunnerProtocolServer",
            "Telemetry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: packageSwiftSettings
    ),
]

// MARK: Development: benchmarks and tests, part of neither executable
let developmentTargets: [Target] = [
    // Benchmarks print figures next to a baseline measured in the same run (scripts/bench).
    .executableTarget(
        name: "bench",
        dependencies: [
            "Patch", "Sandbox", "Kafka", "AgentContracts", "Contracts", "RunnerProtocolClient",
            "RunnerProtocolServer", "AgentCore", "AgentServices", "GitWorkspace", "LLM",
            "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    .target(
        name: "TestSupport",
        dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        path: "Tests/TestSupport",
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "ContractsTests",
        dependencies: ["AgentContracts", "Contracts", "TestSupport"],
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "PatchTests",
        dependencies: ["Patch", "TestSupport"],
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "SandboxTests",
        dependencies: ["Sandbox", "TestSupport"],
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "SelfCheckTests",
        dependencies: [
            "SelfCheck", "Contracts", "Patch", "RunnerExec", "RunnerProtocol", "RunnerProtocolClient",
            "TestSupport", "selfcheck-runner-full",
        ],
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "AgentCoreTests",
        dependencies: [
            "AgentContracts", "AgentCore", "AgentServices", "Contracts", "GitWorkspace", "Kafka", "LLM",
            "TestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "KafkaTests",
        dependencies: ["Kafka", "AgentContracts", "Contracts", "TestSupport"],
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "GitWorkspaceTests",
        dependencies: ["GitWorkspace", "TestSupport"],
        swiftSettings: packageSwiftSettings
    ),
    .testTarget(
        name: "RunnerProtocolTests",
        dependencies: [
            "RunnerProtocol", "RunnerProtocolClient", "RunnerProtocolServer", "Contracts", "TestSupport",
        ],
        swiftSettings: packageSwiftSettings
    ),
    // Issue #9's fault and load suite: the real executables under injected faults (1.5-3 min).
    .testTarget(
        name: "FaultTests",
        dependencies: [
            "AgentContracts", "AgentServices", "Contracts", "Kafka", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    // Reads deploy/, README.md, scripts/ and Sources/ as text: the deployment files must agree with
    // the configuration table and with the code (Docker cannot run here, so this stops drift).
    .testTarget(
        name: "DeployTests",
        dependencies: ["AgentContracts", "TestSupport", .product(name: "Yams", package: "Yams")],
        swiftSettings: packageSwiftSettings
    ),
    // The executables as processes: metrics scraped, JSON logs read, SIGTERM mid-task and mid-check.
    .testTarget(
        name: "OperationsTests",
        dependencies: [
            "AgentContracts", "Contracts", "Kafka", "RunnerProtocolClient", "TestSupport",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: packageSwiftSettings
    ),
    // Talks to a real SwiftNIO HTTP/1.1 server on 127.0.0.1, scripted per test.
    .testTarget(
        name: "LLMTests",
        dependencies: [
            "LLM", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        swiftSettings: packageSwiftSettings
    ),
]

let package = Package(
    name: "coding-agent",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coding-agent", targets: ["coding-agent"]),
        .executable(name: "selfcheck-runner", targets: ["selfcheck-runner"]),
        .executable(name: "selfcheck-runner-full", targets: ["selfcheck-runner-full"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Test-only: DeployTests parses deploy/ (docker-compose.yml, the Kubernetes manifests).
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: sharedTargets + agentTargets + runnerTargets + developmentTargets
)
