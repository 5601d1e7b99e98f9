import Foundation
import Testing

/// deploy/docker-compose.deploy-check.yml and the Dockerfiles' prebuilt stage, which scripts/deploy-check
/// uses: the local run may swap the services around the runner, never the runner's security settings.
struct DeployCheckOverrideTests {
    static let path = "deploy/docker-compose.deploy-check.yml"

    func override() throws -> YAMLNode {
        try #require(DeployFiles.yamlDocuments(Self.path).first, "\(Self.path) is empty")
    }

    @Test func keepsTheRunnersSecuritySettings() throws {
        let runner = try override()["services"]["runner"]
        // Only how the image is built, one more network (PyPI for project environments) and the CA bundle.
        #expect(
            Set(runner.map.keys).isSubset(of: ["build", "networks", "environment", "volumes"]),
            "the override changes the runner's \(runner.map.keys.sorted())")
        for volume in runner["volumes"].strings {
            #expect(volume.hasSuffix(":ro"), "the override mounts \(volume) writable into the runner")
        }
        #expect(
            Set(runner["environment"].map.keys).isSubset(of: ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"]),
            "the override sets more than the CA bundle in the runner")
    }

    @Test func agentsReadTheAddressTheBrokerWrites() throws {
        let services = try override()["services"]
        let kafka = services["kafka"]
        let agent = services["agent"]
        #expect(agent["network_mode"].string == "service:kafka", "the agents do not share the broker's loopback")
        let arguments = kafka["entrypoint"].strings
        let flag = try #require(arguments.firstIndex(of: "--bootstrap-file"), "dev-kafka writes no bootstrap file")
        let written = try #require(arguments.dropFirst(flag + 1).first)
        // The same volume holds the file in both: mounted where the broker writes it and where agents read.
        func mountPoint(of service: YAMLNode) -> String? {
            service["volumes"].strings.first { $0.hasPrefix("broker:") }?.split(separator: ":")[1].description
        }
        let kafkaFolder = try #require(mountPoint(of: kafka), "the broker does not mount the broker volume")
        let agentFolder = try #require(mountPoint(of: agent), "the agents do not mount the broker volume")
        #expect(written.hasPrefix(kafkaFolder + "/"), "dev-kafka writes \(written), outside the broker volume")
        let read = agentFolder + written.dropFirst(kafkaFolder.count)
        #expect(
            agent["entrypoint"].strings.joined(separator: " ").contains("cat \(read)"),
            "the agents do not read the bootstrap address from \(read)")
    }

    @Test func dockerfilesBuildOfflineFromPrebuiltBinaries() throws {
        let ignored = try DeployFiles.text(".dockerignore").split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        for (path, product) in [
            ("deploy/Dockerfile.agent", "coding-agent"), ("deploy/Dockerfile.runner", "selfcheck-runner"),
        ] {
            let text = try DeployFiles.text(path)
            // A syntax line makes every build pull the frontend image from a registry.
            #expect(!text.contains("# syntax="), "\(path) needs a registry to build")
            let file = try Dockerfile(path)
            let from = file.instructions("FROM")
            #expect(from.contains("build AS binaries-source"), "\(path): the source stage is not the build stage")
            #expect(from.contains("binaries-${BINARIES} AS binaries"), "\(path): no stage chosen by BINARIES")
            #expect(file.variables("ARG")["BINARIES"] == "source", "\(path): production must compile from source")
            let staged = ".deploy-check/\(product)/"
            #expect(file.instructions("COPY").contains("\(staged) /out/"), "\(path) does not take \(staged)")
            #expect(
                !ignored.contains { staged.hasPrefix($0.trimmingCharacters(in: CharacterSet(charactersIn: "/"))) },
                ".dockerignore hides \(staged) from the build context")
            #expect(
                file.instructions("COPY").contains { $0.hasPrefix("--from=binaries /out/ /") },
                "\(path): the runtime stage does not take the chosen binaries")
        }
        #expect(
            try DeployFiles.text("scripts/deploy-check").contains(#"work="$root/.deploy-check""#),
            "scripts/deploy-check stages the binaries elsewhere than .deploy-check/")
    }
}
