/// One of our containers as a deployment file describes it, in the same shape whether it comes from
/// docker-compose.yml or from a Kubernetes pod, so the checks are written once for both.
struct DeployedContainer {
    enum Role: String { case agent, runner }

    struct Mount: Equatable {
        var volume: String
        var target: String
        var readOnly: Bool
    }

    /// Where it was found, for failure messages, e.g. `docker-compose.yml service runner`.
    var origin: String
    /// The compose service's or the Kubernetes container's name.
    var name: String
    var role: Role
    /// Name to value; a value from a Secret reads as `secret:<name>/<key>`, from compose's
    /// `${NAME:-default}` as its default.
    var environment: [String: String]
    /// Secrets the container references (compose: none; Kubernetes: `secretKeyRef`/`secretRef` names).
    var secretReferences: [String]
    /// Entrypoint and command (compose) or command and args (Kubernetes), joined.
    var arguments: [String]
    var mounts: [Mount]
    var ports: [Int]
    var privileged: Bool
    var addedCapabilities: [String]
    var droppedCapabilities: [String]
    /// The numeric uid it runs as, when the file says.
    var uid: Int?

    /// The value of `--name VALUE` or `--name=VALUE` in the arguments (also inside a `sh -c` string).
    func option(_ name: String) -> String? {
        let words = arguments.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\"" }).map(String.init) }
        for (index, word) in words.enumerated() {
            if word == name, index + 1 < words.count { return words[index + 1] }
            if word.hasPrefix(name + "=") { return String(word.dropFirst(name.count + 1)) }
        }
        return nil
    }

    /// The mount whose target holds `path` (the longest such target).
    func mount(holding path: String) -> Mount? {
        mounts.filter { path == $0.target || path.hasPrefix($0.target.hasSuffix("/") ? $0.target : $0.target + "/") }
            .max { $0.target.count < $1.target.count }
    }
}
