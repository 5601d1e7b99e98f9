import ArgumentParser
import Foundation
import SelfCheck

/// The project-environment options `check` and `serve` share (docs/environments.md).
struct EnvironmentOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A project environment to use instead of building one: a virtualenv or a `pip install --target` directory. As NAME=DIR (repeatable) it is one a request may pick by name.",
            valueName: "[NAME=]DIR"))
    var pythonEnv: [String] = []
    @Option(
        help:
            "Index the environment builder downloads wheels from: a URL, or a local directory of files (default: PIP_INDEX_URL, else PyPI)."
    )
    var packageIndex: String?
    @Option(
        help:
            "Build environments from this pinned requirements file (with --hash lines) instead of the repository's declarations."
    )
    var envRequirements: String?
    @Option(help: "Size cap of the environment cache in MiB (least recently used first).") var envCacheMib: UInt64 =
        4096
    @Flag(help: "Do not build project environments (the checks import only the tools and the workspace).")
    var noProjectEnv = false
    @Flag(
        help:
            "Judge a patch that changes the declared dependencies, in an environment built for them (otherwise it fails with a `dependencies` finding)."
    )
    var allowDependencyChange = false

    func environments(cacheDirectory: URL, tools: ToolCommands) throws -> ProjectEnvironments {
        var environments = ProjectEnvironments(allowDependencyChange: allowDependencyChange)
        for item in pythonEnv {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let directory = URL(fileURLWithPath: parts.count == 2 ? parts[1] : parts[0])
            let environment: ProjectEnvironment
            do {
                environment = try ProjectEnvironment.named(
                    directory, interpreter: tools.toolEnvironment + "/bin/python")
            } catch {
                throw ValidationError("\(error)")
            }
            if let blocked = EnvironmentDirectory.blockedAncestor(of: directory) {
                throw ValidationError(
                    "--python-env \(directory.path): \(blocked) is not searchable by the sandbox's user (uid 65534)")
            }
            if parts.count == 2 {
                environments.choices[parts[0]] = environment
            } else {
                environments.named = environment
            }
        }
        if !noProjectEnv {
            let directory: URL
            do {
                (directory, environments.directoryNote) = try EnvironmentDirectory.choose(
                    preferred: cacheDirectory.appendingPathComponent("environments"))
            } catch {
                throw ValidationError("\(error)")
            }
            var settings = EnvironmentBuilder.Settings(cacheDirectory: directory, packageIndex: packageIndex)
            settings.tools = tools
            settings.capBytes = envCacheMib << 20
            if let envRequirements {
                guard FileManager.default.isReadableFile(atPath: envRequirements) else {
                    throw ValidationError("--env-requirements \(envRequirements) cannot be read")
                }
                settings.pinnedRequirements = URL(fileURLWithPath: envRequirements)
            }
            environments.builder = EnvironmentBuilder(settings: settings)
        }
        return environments
    }
}
