import Testing

/// The Dockerfiles against scripts/setup and the code.
struct ImageTests {
    /// The pins of scripts/check-tools.txt, e.g. ["black": "26.10.1"].
    func pins() throws -> [String: String] {
        var pins: [String: String] = [:]
        for line in try DeployFiles.text("scripts/check-tools.txt").split(separator: "\n") {
            let requirement =
                line.split(separator: "#", omittingEmptySubsequences: false).first?.trimmingCharacters(in: .whitespaces)
                ?? ""
            guard !requirement.isEmpty else { continue }
            let parts = requirement.components(separatedBy: "==")
            try #require(parts.count == 2, "scripts/check-tools.txt: \(requirement) is not pinned with ==")
            pins[parts[0]] = parts[1]
        }
        return pins
    }

    @Test func runnerImageInstallsTheToolsAsSetupDoes() throws {
        let pins = try pins()
        #expect(Set(pins.keys) == ["black", "ruff", "pytest"], "the check tools are black, ruff and pytest")
        // One installer, one pin file, used by both.
        let setup = try DeployFiles.text("scripts/setup")
        let installer = try DeployFiles.text("scripts/install-check-tools")
        #expect(setup.contains("/install-check-tools"), "scripts/setup does not run scripts/install-check-tools")
        #expect(
            installer.contains("check-tools.txt"), "scripts/install-check-tools does not read scripts/check-tools.txt")
        for (name, text) in [("scripts/setup", setup), ("scripts/install-check-tools", installer)] {
            #expect(!text.contains("=="), "\(name) pins a version itself instead of reading scripts/check-tools.txt")
        }
        let runner = try Dockerfile("deploy/Dockerfile.runner")
        #expect(
            runner.instructions("COPY").contains {
                $0.contains("scripts/install-check-tools") && $0.contains("scripts/check-tools.txt")
            },
            "Dockerfile.runner does not copy the installer and the pin file")
        #expect(
            runner.instructions("RUN").contains {
                $0.contains("install-check-tools") && $0.contains("check-tools.txt")
            },
            "Dockerfile.runner does not run the installer with the pin file")
        #expect(
            !runner.instructions.contains { $0.contains("==") || $0.contains("pip install") },
            "Dockerfile.runner installs Python packages of its own")
        // Where the code looks for the tools.
        let toolEnvironment = "/opt/selfcheck-tools"
        let runnerSource = try SourceScan().text[.runner] ?? ""
        let codeDefault = runnerSource.firstMatch(of: /var toolEnvironment: String = "([^"]+)"/).map {
            String($0.output.1)
        }
        #expect(
            codeDefault == toolEnvironment,
            "the runner looks for the tools in \(codeDefault ?? "?"), not \(toolEnvironment)")
        #expect(
            try DeployFiles.text("sandbox-profiles/python-selfcheck.json").contains(
                #""source": "\#(toolEnvironment)""#),
            "the default sandbox profile does not mount \(toolEnvironment)")
        #expect(
            runner.instructions.contains { $0.contains("SELFCHECK_TOOLS=\(toolEnvironment)") },
            "Dockerfile.runner builds the tools elsewhere than \(toolEnvironment)")
        #expect(
            runner.instructions("COPY").contains { $0.hasPrefix("--from=tools \(toolEnvironment) \(toolEnvironment)") },
            "the runtime image does not carry \(toolEnvironment)")
        // And what README promises.
        let readme = try DeployFiles.text("README.md")
        for (tool, version) in pins.sorted(by: { $0.key < $1.key }) {
            #expect(readme.contains("\(tool) \(version)"), "README does not say \(tool) \(version)")
        }
    }

    @Test func imagesMatchTheDeployment() throws {
        let agent = try Dockerfile("deploy/Dockerfile.agent")
        let runner = try Dockerfile("deploy/Dockerfile.runner")
        _ = try SharedChecks.imageUID()
        for image in [agent, runner] {
            #expect(
                image.instructions("USER").last?.hasPrefix("${APP_UID}") == true,
                "\(image.path) must end as the non-root APP_UID")
            #expect(
                image.instructions("RUN").contains { $0.contains("swift build -c release --product") },
                "\(image.path): no release build of one product")
        }
        #expect(
            agent.variables("ENV")["RUNNER_SOCKET"] == runner.variables("ENV")["RUNNER_SOCKET"],
            "the images' RUNNER_SOCKET differ")
        let compose = try ComposeFile().containers.first { $0.role == .agent }
        #expect(
            agent.variables("ENV")["RUNNER_SOCKET"] == compose?.environment["RUNNER_SOCKET"],
            "the images' RUNNER_SOCKET is not docker-compose's")
        #expect(
            agent.variables("ENV")["AGENT_CACHE_DIR"] == compose?.environment["AGENT_CACHE_DIR"],
            "the agent image's AGENT_CACHE_DIR is not docker-compose's")
        #expect(agent.instructions("EXPOSE").contains("9600"), "Dockerfile.agent does not expose the metrics port 9600")
    }

    /// selfcheck-runner hands every command but `exec` to selfcheck-runner-full in its own folder: the image
    /// builds and installs both there.
    @Test func theRunnerImageInstallsBothRunnerExecutables() throws {
        let build = try Dockerfile("deploy/Dockerfile.runner").instructions("RUN").joined(separator: "\n")
        for product in ["selfcheck-runner", "selfcheck-runner-full"] {
            #expect(build.contains("--product \(product) "), "Dockerfile.runner does not build \(product)")
            #expect(
                build.contains("/out/usr/local/bin/\(product) "),
                "Dockerfile.runner does not install \(product) in /usr/local/bin")
        }
    }
}
