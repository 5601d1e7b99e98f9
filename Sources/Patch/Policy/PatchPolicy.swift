/// Limits on what a patch may touch. Defaults fit code patches written by a model.
public struct PatchPolicy: Sendable {
    /// Most files one patch may touch (default 200).
    public var maxFiles: Int = 200
    /// Largest diff accepted, in bytes of the extracted diff (default 2 MiB).
    public var maxBytes: Int = 2 * 1024 * 1024

    public init(maxFiles: Int = 200, maxBytes: Int = 2 * 1024 * 1024) {
        self.maxFiles = maxFiles
        self.maxBytes = maxBytes
    }
}
