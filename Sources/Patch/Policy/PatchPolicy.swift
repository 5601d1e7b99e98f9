/// Limits on what a patch may touch. Defaults fit code patches written by a model.
public struct PatchPolicy: Sendable {
    /// Most files one patch may touch (default 200).
    public var maxFiles: Int = 200
    /// Largest diff accepted, in bytes of the extracted diff (default 2 MiB).
    public var maxBytes: Int = 2 * 1024 * 1024
    /// Paths a patch may not create, change or delete (see `ProtectedPath`); by default CI configuration,
    /// git attributes and submodules, and hook managers: files that make code run elsewhere than in the
    /// sandboxed check (a CI runner with secrets, a developer's git).
    public var protectedPaths: [ProtectedPath] = ProtectedPath.defaults

    public init(
        maxFiles: Int = 200, maxBytes: Int = 2 * 1024 * 1024, protectedPaths: [ProtectedPath] = ProtectedPath.defaults
    ) {
        self.maxFiles = maxFiles
        self.maxBytes = maxBytes
        self.protectedPaths = protectedPaths
    }
}
