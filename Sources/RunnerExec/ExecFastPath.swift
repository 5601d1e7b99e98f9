/// `selfcheck-runner exec` without ArgumentParser: its first use costs more than the sandbox itself (the Swift
/// runtime's type look-ups). Reads only plain, valid arguments, the way `ExecCommand` would read them; for
/// anything else (--help, an unknown or repeated option, a value that looks like an option, a value that does
/// not parse, what `ExecCommand.validate` refuses) it returns nil and ArgumentParser parses as before, so
/// help, errors and exit codes stay ArgumentParser's.
public enum ExecFastPath {
    /// The request for `arguments` (without the executable's name), or nil to let ArgumentParser parse.
    public static func parse(_ arguments: [String]) -> ExecRequest? {
        guard arguments.first == "exec", let terminator = arguments.firstIndex(of: "--") else { return nil }
        var request = ExecRequest()
        var seen: [String] = []  // a handful of options: a list beats a Set's first use at start-up
        var index = 1
        while index < terminator {
            var name = arguments[index]
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard name.hasPrefix("--"), name == "--env" || !seen.contains(name) else { return nil }
            seen.append(name)
            index += 1
            if isFlag(name) {
                guard value == nil, setFlag(name, in: &request) else { return nil }
                continue
            }
            if value == nil {
                guard index < terminator else { return nil }
                value = arguments[index]
                index += 1
            }
            guard let value, !value.isEmpty, !value.hasPrefix("-"), set(name, value, in: &request) else { return nil }
        }
        request.command = Array(arguments[(terminator + 1)...])
        return request.problem == nil ? request : nil
    }

    private static func isFlag(_ name: String) -> Bool {
        name == "--audit" || name == "--report" || name == "--keep-changes"
    }

    private static func setFlag(_ name: String, in request: inout ExecRequest) -> Bool {
        switch name {
        case "--audit": request.audit = true
        case "--report": request.report = true
        case "--keep-changes": request.keepChanges = true
        default: return false
        }
        return true
    }

    /// Sets option `name` from `value`; false for an unknown option or a value that does not parse.
    private static func set(_ name: String, _ value: String, in request: inout ExecRequest) -> Bool {
        /// Stores a number option; false when the value does not parse (ArgumentParser then says why).
        func store<T>(_ parsed: T?, in field: inout T?) -> Bool {
            field = parsed
            return parsed != nil
        }
        switch name {
        case "--profile": request.profile = value
        case "--workspace": request.workspace = value
        case "--env": request.environment.append(value)
        case "--timeout": return store(Double(value), in: &request.timeout)
        case "--memory-mb": return store(UInt64(value), in: &request.memoryMb)
        case "--cpu": return store(Double(value), in: &request.cpu)
        case "--pids": return store(UInt32(value), in: &request.pids)
        case "--output-bytes": return store(UInt64(value), in: &request.outputBytes)
        case "--file-size-bytes": return store(UInt64(value), in: &request.fileSizeBytes)
        case "--disk-bytes": return store(UInt64(value), in: &request.diskBytes)
        default: return false
        }
        return true
    }
}
