import Foundation

/// Index URLs may carry credentials (`https://user:token@host/simple`, from PIP_INDEX_URL or
/// --package-index). Whatever the runner prints or reports about an index goes through these, so the
/// userinfo never reaches `doctor`, an error, a report or a log.
enum CredentialRedaction {
    static let mask = "***"

    /// `text` with the userinfo of every `scheme://userinfo@host` in it replaced by `***`.
    static func redacting(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let separator = rest.range(of: "://") {
            result += rest[..<separator.upperBound]
            rest = rest[separator.upperBound...]
            // The authority ends at the first of "/?#", whitespace or a quote; its last "@" ends the userinfo.
            let authorityEnd =
                rest.firstIndex { "/?#\"'<> \n\t\r".contains($0) } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result += mask
                rest = rest[at...]
            }
        }
        return result + rest
    }

    /// `text` redacted, and any literal occurrence of `index`'s secret (the userinfo, and its password
    /// on its own) removed too, for output that quotes it without the URL around it.
    static func redacting(_ text: String, secretsOf index: String) -> String {
        var redacted = redacting(text)
        for secret in secrets(of: index) where !secret.isEmpty {
            redacted = redacted.replacingOccurrences(of: secret, with: mask)
        }
        return redacted
    }

    /// The userinfo of `url` and its password part, longest first; empty without userinfo.
    static func secrets(of url: String) -> [String] {
        guard let separator = url.range(of: "://") else { return [] }
        let rest = url[separator.upperBound...]
        let authorityEnd = rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return [] }
        let userinfo = String(rest[..<at])
        let password = userinfo.split(separator: ":", maxSplits: 1).dropFirst().first.map(String.init)
        var secrets = [userinfo]
        if let password, password.count >= 4 {
            secrets.append(password)
            if let decoded = password.removingPercentEncoding, decoded != password { secrets.append(decoded) }
        }
        return secrets
    }
}

extension EnvironmentBuilder.Settings {
    /// The package index as it may be shown: credentials replaced by `***`.
    public var displayedPackageIndex: String { CredentialRedaction.redacting(packageIndex) }
}
