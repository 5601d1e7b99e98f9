import Foundation
import Sandbox

extension SandboxJobRunner: EnvironmentMounting {
    /// The same sandbox with the environment bound read-only at `ProjectEnvironment.mountTarget` and
    /// PYTHONPATH pointing into it.
    public func mounting(_ environment: ProjectEnvironment, srcLayout: Bool) -> any JobRunner {
        var profile = sandbox.profile
        profile.mounts.append(.init(type: .bind, source: environment.path, target: ProjectEnvironment.mountTarget))
        var runner = SandboxJobRunner(profile: profile, logger: logger)
        runner.environment = self.environment
        runner.environment["PYTHONPATH"] = environment.pythonPath(
            srcLayout: srcLayout, workspace: profile.workspaceTarget)
        return runner
    }
}

extension OverlayWorkspace: ExportingWorkspace {
    /// Copies a directory the jobs wrote (it lives in the upper layer) to a host directory.
    func export(_ relativeDirectory: String, to destination: URL) throws {
        let source = workspace.upper.appendingPathComponent(relativeDirectory)
        var info = stat()
        guard lstat(source.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw EnvironmentError("the sandbox job did not produce \(relativeDirectory)/")
        }
        try FileManager.default.copyItem(at: source, to: destination)
    }
}
