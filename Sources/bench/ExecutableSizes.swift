import Foundation

/// `bench sandbox` prints the executables' sizes: the runner's side is meant to stay small (issue #18).
/// `selfcheck-runner` is what `exec` loads; `selfcheck-runner-full` serves every other command.
enum ExecutableSizes {
    static func report() {
        var sizes: [String: Int] = [:]
        for name in ["selfcheck-runner", "selfcheck-runner-full", "coding-agent"] {
            guard let path = SandboxBench.siblingExecutable(name),
                let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
            else {
                print("\(name) not built next to bench: no size")
                continue
            }
            sizes[name] = size
            print(String(format: "executable size: %@ %.1f MiB (%d bytes)", name, mebibytes(size), size))
        }
        let agent = sizes["coding-agent"]
        func row(_ label: String, _ bytes: Int) {
            Table.row(
                label, String(format: "%.1f MiB", mebibytes(bytes)),
                baseline: agent.map { String(format: "`coding-agent` %.1f MiB", mebibytes($0)) } ?? "",
                ratio: agent.map { Table.ratio(Double(bytes) / Double($0)) } ?? "")
        }
        if let front = sizes["selfcheck-runner"] {
            row("executable size: `selfcheck-runner`, what `exec` loads (release, fully static)", front)
        }
        if let full = sizes["selfcheck-runner-full"] {
            row("executable size: `selfcheck-runner-full`, every other command (release, static Swift runtime)", full)
        }
        if let front = sizes["selfcheck-runner"], let full = sizes["selfcheck-runner-full"] {
            row("executable size: the runner's two files together", front + full)
        }
    }

    static func mebibytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
}
