import FoundationEssentials

/// Everything the sandbox needs to know about a kind of job: mounts, limits, seccomp policy, network and
/// environment. One Codable type for profile files, the CLI, the socket protocol and the agent; every field
/// is documented in `sandbox-profiles/README.md`.
public struct SandboxProfile: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    /// Hostname inside the sandbox (new UTS namespace).
    public var hostname: String
    /// The host ids a root runner's jobs run as by default: a dedicated id, not `nobody` (65534), which
    /// host daemons share, and outside the ranges systemd hands out (system, regular, nspawn containers).
    public static let defaultJobUid: UInt32 = 2_000_000_000
    public static let defaultJobGid: UInt32 = 2_000_000_000

    /// Unprivileged host uid/gid the job runs as when the runner is started as root.
    public var unprivilegedUid: UInt32
    public var unprivilegedGid: UInt32
    /// The file system the job sees, built on an empty tmpfs root in this order.
    public var mounts: [Mount]
    /// Where a job's workspace is mounted (copy-on-write) and becomes the working directory.
    public var workspaceTarget: String
    /// Defaults for the per-job limits.
    public var limits: SandboxLimits
    /// Per-process backstops that are not per-job limits.
    public var rlimits: Rlimits
    /// Bytes of output kept (the tail) in `SandboxOutcome.output`.
    public var outputTailBytes: Int
    public var network: Network
    public var seccomp: SeccompPolicy
    /// Variables every job gets (nothing else from the runner's environment, unless passed through).
    public var environment: [String: String]
    /// Names copied from the runner's environment when set there. Keep secrets out of this list.
    public var environmentPassthrough: [String]

    public enum Network: String, Codable, Sendable {
        /// A new network namespace with only `lo` up: nothing outside the sandbox is reachable.
        case loopback
        /// A new network namespace with no interface up at all.
        case none
    }

    public struct Mount: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case bind, tmpfs, proc, dev, dir }
        public var type: Kind
        /// Host path (bind only). A host symlink is recreated as the same symlink (e.g. /bin -> usr/bin).
        public var source: String?
        /// Path inside the sandbox; defaults to `source`.
        public var target: String?
        /// Bind mounts are read-only unless this is true.
        public var writable: Bool?
        /// A missing bind source is skipped instead of failing the set-up.
        public var optional: Bool?
        /// tmpfs size (tmpfs, and /dev/shm for `dev`).
        public var sizeBytes: UInt64?

        public init(
            type: Kind, source: String? = nil, target: String? = nil, writable: Bool? = nil, optional: Bool? = nil,
            sizeBytes: UInt64? = nil
        ) {
            self.type = type
            self.source = source
            self.target = target
            self.writable = writable
            self.optional = optional
            self.sizeBytes = sizeBytes
        }

        enum CodingKeys: String, CodingKey {
            case type, source, target, writable, optional
            case sizeBytes = "size_bytes"
        }
    }

    public struct Rlimits: Codable, Sendable, Equatable {
        /// RLIMIT_AS: a per-process backstop; the per-job memory limit is `limits.memory_bytes`.
        public var addressSpaceBytes: UInt64
        /// RLIMIT_NOFILE.
        public var openFiles: UInt64
        /// RLIMIT_CORE (0: no core dumps).
        public var coreBytes: UInt64
        /// RLIMIT_STACK.
        public var stackBytes: UInt64

        enum CodingKeys: String, CodingKey {
            case addressSpaceBytes = "address_space_bytes"
            case openFiles = "open_files"
            case coreBytes = "core_bytes"
            case stackBytes = "stack_bytes"
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, description, hostname, mounts, limits, rlimits, network, seccomp, environment
        case unprivilegedUid = "unprivileged_uid"
        case unprivilegedGid = "unprivileged_gid"
        case workspaceTarget = "workspace_target"
        case outputTailBytes = "output_tail_bytes"
        case environmentPassthrough = "environment_passthrough"
    }
}
