import CSandbox
import CSeccomp
import FoundationEssentials
import Glibc

/// A seccomp program compiled from a `SeccompPolicy` with libseccomp, as raw `struct sock_filter` bytes.
/// Compiled in the parent (libseccomp allocates) and installed by the child with one prctl().
struct SeccompFilter: Sendable {
    let program: [UInt8]

    /// Instructions in the program (8 bytes each).
    var instructionCount: Int { program.count / 8 }

    /// The program for `policy`: precompiled when it is a shipped profile's policy on x86_64 (libseccomp's
    /// output, committed; see `PrecompiledSeccomp`), else compiled now.
    /// - Throws: `SandboxError` (step `seccomp compile`) for unknown syscalls, constants or libseccomp errors.
    init(_ policy: SeccompPolicy, profileName: String? = nil) throws {
        if let program = PrecompiledSeccomp.program(for: policy, profileName: profileName) {
            self = SeccompFilter(program: program)
        } else {
            try self.init(compiling: policy)
        }
    }

    private init(program: [UInt8]) { self.program = program }

    /// Compiles `policy` with libseccomp.
    init(compiling policy: SeccompPolicy) throws {
        let defaultAction = try Self.action(policy.defaultAction, errno: policy.defaultErrno, audit: policy.audit)
        guard let context = seccomp_init(defaultAction) else {
            throw SandboxError(step: "seccomp compile", message: "seccomp_init failed")
        }
        defer { seccomp_release(context) }
        try Self.check(seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, Self.killProcess), "set bad-arch action")
        // A binary search over the system call numbers instead of a linear list: the same decisions, but
        // the kernel runs the program for every system call number when it installs it (its action
        // cache), so a 730-instruction list cost about 0.5 ms per job, the tree about 0.1 ms, and each of
        // the job's calls passes a few comparisons instead of hundreds.
        try Self.check(seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2), "set binary-tree optimisation")
        for rule in policy.rules {
            let action = try Self.action(rule.action, errno: rule.errno, audit: policy.audit)
            // A rule that says what the default says changes nothing (libseccomp refuses it: EACCES).
            if action == defaultAction {
                for name in rule.syscalls where seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR {
                    throw SandboxError(step: "seccomp compile", message: "unknown system call \(name)")
                }
                continue
            }
            for name in rule.syscalls {
                let number = seccomp_syscall_resolve_name(name)
                guard number != __NR_SCMP_ERROR else {
                    throw SandboxError(step: "seccomp compile", message: "unknown system call \(name)")
                }
                for conditions in try Self.expand(rule.args ?? []) {
                    let result = conditions.withUnsafeBufferPointer {
                        seccomp_rule_add_array(context, action, number, UInt32($0.count), $0.baseAddress)
                    }
                    try Self.check(result, "rule for \(name)")
                }
            }
        }
        program = try Self.export(context)
    }

    // MARK: actions

    private static let allow: UInt32 = 0x7fff_0000
    private static let log: UInt32 = 0x7ffc_0000
    private static let killProcess: UInt32 = 0x8000_0000
    private static func errnoAction(_ value: Int32) -> UInt32 { 0x0005_0000 | (UInt32(value) & 0xffff) }

    private static func action(_ action: SeccompPolicy.Action, errno: String?, audit: Bool) throws -> UInt32 {
        if audit && action != .allow { return log }
        switch action {
        case .allow: return allow
        case .log: return log
        case .kill: return killProcess
        case .errno: return errnoAction(try errnoValue(errno ?? "EPERM"))
        }
    }

    private static let errnoNames: [String: Int32] = [
        "EPERM": EPERM, "ENOENT": ENOENT, "EACCES": EACCES, "EINVAL": EINVAL, "ENOSYS": ENOSYS,
        "EAFNOSUPPORT": EAFNOSUPPORT, "ENOTSUP": ENOTSUP, "EOPNOTSUPP": EOPNOTSUPP,
    ]

    private static func errnoValue(_ text: String) throws -> Int32 {
        if let value = errnoNames[text] ?? Int32(text) { return value }
        throw SandboxError(step: "seccomp compile", message: "unknown errno \(text)")
    }

    // MARK: argument conditions

    /// Symbolic constants usable in profiles.
    static let constants: [String: UInt64] = [
        "CLONE_NEWNS": 0x0002_0000, "CLONE_NEWCGROUP": 0x0200_0000, "CLONE_NEWUTS": 0x0400_0000,
        "CLONE_NEWIPC": 0x0800_0000, "CLONE_NEWUSER": 0x1000_0000, "CLONE_NEWPID": 0x2000_0000,
        "CLONE_NEWNET": 0x4000_0000, "CLONE_NEWTIME": 0x0000_0080,
        "AF_UNSPEC": 0, "AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16, "AF_PACKET": 17,
        "AF_VSOCK": 40, "AF_ALG": 38, "AF_BLUETOOTH": 31,
        "TIOCSTI": 0x5412, "TIOCLINUX": 0x541C,
    ]

    private static func number(_ value: SeccompPolicy.Value?) throws -> UInt64 {
        switch value {
        case .number(let n): return n
        case .name(let name):
            if let n = constants[name] { return n }
            throw SandboxError(step: "seccomp compile", message: "unknown constant \(name)")
        case nil: throw SandboxError(step: "seccomp compile", message: "argument condition without a value")
        }
    }

    /// The conditions of one rule as libseccomp rules (alternatives). `not_in` needs several rules, since
    /// libseccomp allows only one comparison per argument in a rule: the excluded ranges become aligned
    /// blocks, each one masked comparison.
    private static func expand(_ conditions: [SeccompPolicy.ArgCondition]) throws -> [[scmp_arg_cmp]] {
        var alternatives: [[scmp_arg_cmp]] = [[]]
        for condition in conditions {
            let options: [scmp_arg_cmp]
            let arg = condition.index
            switch condition.op {
            case .eq:
                options = [scmp_arg_cmp(arg: arg, op: SCMP_CMP_EQ, datum_a: try number(condition.value), datum_b: 0)]
            case .ne:
                options = [scmp_arg_cmp(arg: arg, op: SCMP_CMP_NE, datum_a: try number(condition.value), datum_b: 0)]
            case .lt:
                options = [scmp_arg_cmp(arg: arg, op: SCMP_CMP_LT, datum_a: try number(condition.value), datum_b: 0)]
            case .le:
                options = [scmp_arg_cmp(arg: arg, op: SCMP_CMP_LE, datum_a: try number(condition.value), datum_b: 0)]
            case .gt:
                options = [scmp_arg_cmp(arg: arg, op: SCMP_CMP_GT, datum_a: try number(condition.value), datum_b: 0)]
            case .ge:
                options = [scmp_arg_cmp(arg: arg, op: SCMP_CMP_GE, datum_a: try number(condition.value), datum_b: 0)]
            case .maskedEq:
                options = [
                    scmp_arg_cmp(
                        arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: try number(condition.mask),
                        datum_b: try number(condition.value))
                ]
            case .`in`:
                let values = try (condition.values ?? []).map { try number($0) }
                guard !values.isEmpty else { throw SandboxError(step: "seccomp compile", message: "in without values") }
                options = values.map { scmp_arg_cmp(arg: arg, op: SCMP_CMP_EQ, datum_a: $0, datum_b: 0) }
            case .notIn:
                let allowed = Set(try (condition.values ?? []).map { try number($0) }).sorted()
                guard let first = allowed.first, let last = allowed.last else {
                    throw SandboxError(step: "seccomp compile", message: "not_in without values")
                }
                var list: [scmp_arg_cmp] = []
                if first > 0 { list.append(scmp_arg_cmp(arg: arg, op: SCMP_CMP_LT, datum_a: first, datum_b: 0)) }
                for (low, high) in zip(allowed, allowed.dropFirst()) where high - low > 1 {
                    for (start, mask) in alignedBlocks(from: low + 1, through: high - 1) {
                        list.append(scmp_arg_cmp(arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: start))
                    }
                }
                if let upper = try condition.mask.map({ try number($0) }) {
                    if last < upper {
                        for (start, mask) in alignedBlocks(from: last + 1, through: upper) {
                            list.append(scmp_arg_cmp(arg: arg, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: start))
                        }
                    }
                } else if last < UInt64.max {
                    list.append(scmp_arg_cmp(arg: arg, op: SCMP_CMP_GT, datum_a: last, datum_b: 0))
                }
                options = list
            }
            alternatives = alternatives.flatMap { prefix in options.map { prefix + [$0] } }
        }
        return alternatives
    }

    /// Splits [low, high] into blocks of 2^k values starting at a multiple of 2^k: (start, mask) pairs.
    static func alignedBlocks(from low: UInt64, through high: UInt64) -> [(UInt64, UInt64)] {
        var blocks: [(UInt64, UInt64)] = []
        var start = low
        while start <= high {
            var size: UInt64 = 1
            while size < (1 << 62), start % (size * 2) == 0, start + size * 2 - 1 <= high { size *= 2 }
            blocks.append((start, ~(size - 1)))
            let (next, overflow) = start.addingReportingOverflow(size)
            if overflow { break }
            start = next
        }
        return blocks
    }

    // MARK: libseccomp plumbing

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else {
            throw SandboxError(step: "seccomp compile", errno: -result, message: what)
        }
    }

    /// seccomp_export_bpf() writes to a descriptor: a memfd keeps the program in memory.
    private static func export(_ context: scmp_filter_ctx) throws -> [UInt8] {
        let fd = csb_memfd("seccomp")
        guard fd >= 0 else { throw SandboxError(step: "seccomp compile", errno: -fd, message: "memfd_create") }
        defer { close(fd) }
        try check(seccomp_export_bpf(context, fd), "seccomp_export_bpf")
        let size = lseek(fd, 0, SEEK_END)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard read == size, size > 0, size % 8 == 0 else {
            throw SandboxError(step: "seccomp compile", message: "short seccomp program (\(read) bytes)")
        }
        return bytes
    }
}
