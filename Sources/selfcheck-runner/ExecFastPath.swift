/// `selfcheck-runner exec` without ArgumentParser: its first use costs more than the sandbox itself (the Swift
/// runtime's type look-ups). Reads only plain, valid arguments, the way `ExecCommand` would read them; for
/// anything else (--help, an unknown or repeated option, a value that looks like an option, a value that does
/// not parse, what `ExecCommand.validate` refuses) it returns nil and ArgumentParser parses as before, so
/// help, errors and exit codes stay ArgumentParser's.
enum ExecFastPath {
    /// The request for `arguments` (without the executable's name), or nil to let ArgumentParser parse.
    static func parse(_ arguments: [String]) -> ExecRequest? {
        guard arguments.first == "exec", let terminator = arguments.firstIndex(of: "--") else { return nil }
        var request = ExecRequest()
        var seen: Set<String> = []
        var index = 1
        while index < terminator {
            var name = arguments[index]
            var value: String?
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard name.hasPrefix("--"), name == "--env" || seen.insert(name).inserted else { return nil }
            index += 1
            if let flag = flag(name) {
                guard value == nil else { return nil }
                request[keyPath: flag] = true
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

    private static func flag(_ name: String) -> WritableKeyPath<ExecRequest, Bool>? {
        switch name {
        case "--audit": \.audit
        case "--report": \.report
        case "--keep-changes": \.keepChanges
        default: nil
        }
    }

    /// Sets option `name` from `value`; false for an unknown option or a value that does not parse.
    private static func set(_ name: String, _ value: String, in request: inout ExecRequest) -> Bool {
        func number<T: LosslessStringConvertible>(_ keyPath: WritableKeyPath<ExecRequest, T?>) -> Bool {
            guard let parsed = T(value) else { return false }
            request[keyPath: keyPath] = parsed
            return true
        }
        switch name {
        case "--profile": request.profile = value
        case "--workspace": request.workspace = value
        case "--env": request.environment.append(value)
        case "--timeout": return number(\.timeout)
        case "--memory-mb": return number(\.memoryMb)
        case "--cpu": return number(\.cpu)
        case "--pids": return number(\.pids)
        case "--output-bytes": return number(\.outputBytes)
        case "--file-size-bytes": return number(\.fileSizeBytes)
        case "--disk-bytes": return number(\.diskBytes)
        default: return false
        }
        return true
    }
}
