/// A Dockerfile's instructions, with `\` continuations joined.
struct Dockerfile {
    let path: String
    /// Each instruction as one line, e.g. `RUN apt-get update && …`.
    let instructions: [String]

    init(_ path: String) throws {
        self.path = path
        var instructions: [String] = []
        var current = ""
        for raw in try DeployFiles.text(path).split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if current.isEmpty && (line.isEmpty || line.hasPrefix("#")) { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
            } else {
                instructions.append(current + line)
                current = ""
            }
        }
        self.instructions = instructions
    }

    func instructions(_ keyword: String) -> [String] {
        instructions.filter { $0.uppercased().hasPrefix(keyword + " ") }.map { String($0.dropFirst(keyword.count + 1)) }
    }

    /// `NAME=value` pairs of the ARG and ENV instructions (the last one wins).
    func variables(_ keyword: String) -> [String: String] {
        var result: [String: String] = [:]
        for instruction in instructions(keyword) {
            for word in instruction.split(separator: " ") {
                let parts = word.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
            }
        }
        return result
    }
}
