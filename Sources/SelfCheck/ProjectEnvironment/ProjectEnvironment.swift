import Foundation

/// A directory of installed dependencies that the check jobs import from: mounted read-only into the
/// sandbox at `mountTarget` and put on PYTHONPATH after the workspace (and its `src/`), so the tests import
/// the patched project and the dependencies from here.
public struct ProjectEnvironment: Sendable, Equatable, Codable {
    /// The directory on the host.
    public var path: String
    /// The directory inside it that goes on PYTHONPATH ("" for the directory itself).
    public var sitePackages: String
    public var interpreter: String
    /// The cache key (declarations, interpreter, tool pins, index), or "operator" for a named environment.
    public var hash: String
    /// How it was made, in words: "built from pyproject.toml [project.dependencies]", "named by the operator".
    public var origin: String

    public static let mountTarget = "/opt/selfcheck-project-env"

    public init(path: String, sitePackages: String, interpreter: String, hash: String, origin: String) {
        self.path = path
        self.sitePackages = sitePackages
        self.interpreter = interpreter
        self.hash = hash
        self.origin = origin
    }

    /// An operator's directory: a virtualenv (its lib/pythonX.Y/site-packages), or a directory of packages
    /// (`pip install --target DIR`).
    public static func named(_ directory: URL, interpreter: String) throws -> ProjectEnvironment {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw EnvironmentError("--python-env \(directory.path) is not a directory")
        }
        var site = ""
        let lib = directory.appendingPathComponent("lib")
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: lib.path),
            let python = versions.sorted().first(where: { $0.hasPrefix("python") }),
            FileManager.default.fileExists(atPath: lib.appendingPathComponent(python + "/site-packages").path)
        {
            site = "lib/\(python)/site-packages"
        }
        return ProjectEnvironment(
            path: directory.standardizedFileURL.path, sitePackages: site, interpreter: interpreter,
            hash: "operator", origin: "named by the operator (--python-env)")
    }

    /// PYTHONPATH for a job: the workspace, its `src/` when the project has a src layout, then the environment.
    public func pythonPath(srcLayout: Bool, workspace: String = "/work") -> String {
        let site = sitePackages.isEmpty ? Self.mountTarget : Self.mountTarget + "/" + sitePackages
        return ([workspace] + (srcLayout ? [workspace + "/src"] : []) + [site]).joined(separator: ":")
    }

    /// One line for reports and `doctor`.
    public var summary: String {
        "environment: \(path) (interpreter \(interpreter), hash \(hash.prefix(16)), \(origin))"
    }
}

public struct EnvironmentError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A runner that can run its jobs with a project environment mounted. Runners that cannot (unit-test
/// doubles) are used as they are.
public protocol EnvironmentMounting: JobRunner {
    func mounting(_ environment: ProjectEnvironment, srcLayout: Bool) -> any JobRunner
}

/// A workspace whose files the runner can copy out after a job (the built environment).
protocol ExportingWorkspace: CheckWorkspace {
    func export(_ relativeDirectory: String, to destination: URL) throws
}
