/// black and ruff started with the base's configuration (`BaseToolConfig`) instead of what they would
/// discover in the patched workspace.
extension ToolCommands {
    /// Stands for the base configuration's path in a command given to `withBaseConfig`.
    static let baseConfigArgument = "@selfcheck-base-config@"

    /// black reads the base's pyproject.toml: with `--config` it looks for no project configuration of
    /// its own (in the root or in any folder of the workspace).
    func blackDiff(_ files: [String], config: BaseToolConfig) -> (command: [String], stdin: [UInt8]) {
        var command = blackDiff(files)
        command.insert(
            contentsOf: ["--config", Self.baseConfigArgument], at: command.firstIndex(of: "--") ?? command.endIndex)
        return (Self.withBaseConfig(command, name: "pyproject.toml"), Array(config.black))
    }

    /// ruff reads the base's file with `--config` (no hierarchical discovery then); without a base
    /// configuration it runs `--isolated`: its defaults, whatever the patch adds.
    func ruffCheck(_ files: [String], config: BaseToolConfig) -> (command: [String], stdin: [UInt8]?) {
        var command = ruffCheck(files)
        guard let ruff = config.ruff else {
            command.insert("--isolated", at: 1)
            return (command, nil)
        }
        command.insert(contentsOf: ["--config", Self.baseConfigArgument], at: 1)
        return (Self.withBaseConfig(command, name: ruff.name), Array(ruff.content))
    }

    /// The tools cannot take their configuration from a pipe (black checks that the path is readable,
    /// which a pipe of the runner's is not to the job's user; ruff tells a pyproject.toml from a ruff.toml
    /// by its name), so a small shell copies standard input into a fresh folder of the sandbox's private
    /// /tmp under `name` and runs `command` with that path in place of `baseConfigArgument`.
    static func withBaseConfig(_ command: [String], name: String) -> [String] {
        let script = """
            name=$1; shift; dir=$(mktemp -d) && cat > "$dir/$name" || exit 125
            for arg do shift; [ "$arg" = \(baseConfigArgument) ] && arg="$dir/$name"; set -- "$@" "$arg"; done
            exec "$@"
            """
        return ["/bin/sh", "-c", script, "selfcheck-base-config", name] + command
    }
}
