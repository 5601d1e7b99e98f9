/// A seccomp policy: a default action plus rules, compiled with libseccomp (see `SeccompFilter`).
public struct SeccompPolicy: Codable, Sendable, Equatable {
    /// What happens to a system call no rule matches: `allow`, `errno`, `kill` or `log`.
    public var defaultAction: Action
    /// errno returned when `default_action` is `errno`.
    public var defaultErrno: String?
    /// Log instead of deny: every non-allow action becomes `log` (the kernel audit log), to develop profiles.
    public var audit: Bool
    public var rules: [Rule]

    public enum Action: String, Codable, Sendable { case allow, errno, kill, log }

    public struct Rule: Codable, Sendable, Equatable {
        public var action: Action
        /// errno name (`EPERM`) or number, for the `errno` action. Default EPERM.
        public var errno: String?
        public var syscalls: [String]
        /// Conditions on arguments, all of which must hold (`in` and `not_in` expand into several rules).
        public var args: [ArgCondition]?
    }

    public struct ArgCondition: Codable, Sendable, Equatable {
        public enum Op: String, Codable, Sendable {
            case eq, ne, lt, le, gt, ge
            case maskedEq = "masked_eq"
            case `in`
            case notIn = "not_in"
        }
        /// Argument index, 0...5.
        public var index: UInt32
        public var op: Op
        /// A number or a symbolic constant such as `CLONE_NEWUSER`, `AF_NETLINK`, `TIOCSTI`.
        public var value: Value?
        /// The mask for `masked_eq`. For `not_in`, the largest value the argument can take (4294967295 for a
        /// 32-bit argument such as ioctl's request): larger values then match nothing, since the kernel would
        /// truncate them to one of the excluded values.
        public var mask: Value?
        /// The values for `in` (the rule matches any of them) and `not_in` (it matches any other value).
        public var values: [Value]?
    }

    /// A JSON number or the name of a constant.
    public enum Value: Codable, Sendable, Equatable {
        case number(UInt64)
        case name(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(UInt64.self) {
                self = .number(number)
            } else {
                self = .name(try container.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let n): try container.encode(n)
            case .name(let s): try container.encode(s)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case defaultAction = "default_action"
        case defaultErrno = "default_errno"
        case audit, rules
    }
}

extension SeccompPolicy {
    /// For the isolation list: "286 system calls allowed, 20 rules, others ENOSYS".
    var summary: String {
        let allowed = Set(rules.filter { $0.action == .allow && ($0.args ?? []).isEmpty }.flatMap(\.syscalls)).count
        let rest =
            switch defaultAction {
            case .allow: "others allowed"
            case .errno: "others \(defaultErrno ?? "EPERM")"
            case .kill: "others killed"
            case .log: "others logged"
            }
        return "\(allowed) system calls allowed, \(rules.count) rules, \(rest)" + (audit ? ", audit: log only" : "")
    }
}
