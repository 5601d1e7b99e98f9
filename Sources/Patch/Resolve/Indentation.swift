/// When a hunk's context matched only by ignoring whitespace because the model shifted its indentation
/// consistently (every line by the same leading whitespace), its added lines are shifted back the same way.
/// Any inconsistency leaves the added lines as written.
enum Indentation {
    static func adapt(_ hunk: Hunk, at start: Int, in file: FileText) -> (hunk: Hunk, note: String)? {
        var fileIndex = start
        var missing: Substring?  // whitespace the file has before the model's indentation
        var extra: Substring?  // whitespace the model has before the file's indentation
        for line in hunk.lines where line.kind != .added {
            defer { fileIndex += 1 }
            guard !line.text.allSatisfy(\.isWhitespace) else { continue }
            let model = leading(line.text)
            let original = file.line(fileIndex)
            let actual = leading(original)
            if actual.count >= model.count, actual.hasSuffix(model) {
                let prefix = actual.dropLast(model.count)
                guard extra == nil || prefix.isEmpty, missing == nil || missing == prefix else { return nil }
                if !prefix.isEmpty { missing = prefix }
            } else if model.hasSuffix(actual) {
                let prefix = model.dropLast(actual.count)
                guard missing == nil, extra == nil || extra == prefix else { return nil }
                extra = prefix
            } else {
                return nil
            }
        }
        var adapted = hunk
        if let missing {
            for index in adapted.lines.indices
            where adapted.lines[index].kind == .added && !adapted.lines[index].text.allSatisfy(\.isWhitespace) {
                adapted.lines[index].text = missing + adapted.lines[index].text
            }
            return (
                adapted,
                "re-indented its added lines by `\(missing.debugDescription.dropFirst().dropLast())` to match the file"
            )
        }
        if let extra {
            let added = adapted.lines.indices.filter {
                adapted.lines[$0].kind == .added && !adapted.lines[$0].text.allSatisfy(\.isWhitespace)
            }
            guard added.allSatisfy({ adapted.lines[$0].text.hasPrefix(extra) }) else { return nil }
            for index in added { adapted.lines[index].text.removeFirst(extra.count) }
            return (
                adapted,
                "removed `\(extra.debugDescription.dropFirst().dropLast())` of indentation from its added lines to match the file"
            )
        }
        return nil
    }

    private static func leading(_ text: String) -> Substring {
        text.prefix(while: { $0 == " " || $0 == "\t" })
    }
}
