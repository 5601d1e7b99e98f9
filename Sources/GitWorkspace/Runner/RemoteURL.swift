import Foundation

/// The host of a remote that may receive credentials: `https://host[:port]/…`, `ssh://[user@]host[:port]/…`
/// or scp-like `user@host:path`; `http://` only to the loopback interface (nothing leaves the machine).
/// Anything else (plain `http://` elsewhere, `git://`, `file://`, a local path, `ext::`) is nil:
/// credentials never travel unencrypted or over a transport we did not mean.
struct RemoteURL: Equatable {
    /// Lower case, with `:port` when the URL names one.
    let host: String

    init?(_ remote: String) {
        let text = remote.trimmingCharacters(in: .whitespaces)
        if text.contains("://") {
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                let host = components.host?.lowercased(), !host.isEmpty,
                ["https", "ssh", "git+ssh"].contains(scheme) || scheme == "http" && Self.loopback.contains(host)
            else { return nil }
            self.host = components.port.map { "\(host):\($0)" } ?? host
            return
        }
        // scp-like syntax: [user@]host:path, which git reads as ssh when the part before ':' has no '/'.
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let authority = text[..<colon]
        guard !authority.isEmpty, !authority.contains("/") else { return nil }
        let host = authority.split(separator: "@").last.map(String.init)?.lowercased() ?? ""
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
            return nil
        }
        self.host = host
    }

    private static let loopback: Set<String> = ["127.0.0.1", "localhost", "[::1]", "::1"]
}
