import Contracts
import Foundation
import RunnerProtocolServer

/// `selfcheck-runner serve` runs the pipeline for each request that arrives on its socket.
extension CheckPipeline: CheckExecutor {
    /// With a directory fd (passed by the peer, or opened for it by `RepositoryAccess`) the check works on
    /// that directory, never on a path the peer could swap afterwards.
    public func execute(
        _ request: CheckRequest, workspace: WorkspaceDirectory?, events: @escaping @Sendable (CheckEvent) async -> Void
    ) async -> CheckReport {
        guard let workspace else { return await execute(request, events: events) }
        var request = request
        request.repoPath = Self.checkoutPath(of: workspace, named: request.repoPath)
        return await execute(request, events: events)  // the server keeps `workspace` open until the job ends
    }

    /// `/proc/self/fd/N`, which a root runner's checkout copy (`open_tree`) follows to the directory itself.
    /// A non-root runner's sandbox mounts the checkout by path, so it keeps the named path when that is
    /// still the same directory (the peer's path may not exist in the runner's mount namespace).
    static func checkoutPath(of workspace: WorkspaceDirectory, named: String) -> String {
        guard geteuid() != 0, named.hasPrefix("/") else { return workspace.path }
        var passed = stat()
        var found = stat()
        guard fstat(workspace.fileDescriptor, &passed) == 0, stat(named, &found) == 0,
            passed.st_dev == found.st_dev, passed.st_ino == found.st_ino
        else { return workspace.path }
        return named
    }
}
