import Foundation

/// `bench sandbox` prints both executables' sizes: the runner's side is meant to stay small (issue #18).
enum ExecutableSizes {
    static func report() {
        var sizes: [String: Int] = [:]
        for name in ["selfcheck-runner", "coding-agent"] {
            guard let path = SandboxBench.siblingExecutable(name),
                let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
            else {
                print("\(name) not built next to bench: no size")
                continue
            }
            sizes[name] = size
            print(String(format: "executable size: %@ %.1f MiB (%d bytes)", name, mebibytes(size), size))
        }
        guard let runner = sizes["selfcheck-runner"] else { return }
        let agent = sizes["coding-agent"]
        Table.row(
            "executable size: `selfcheck-runner` (release, static Swift runtime)",
            String(format: "%.1f MiB", mebibytes(runner)),
            baseline: agent.map { String(format: "`coding-agent` %.1f MiB", mebibytes($0)) } ?? "",
            ratio: agent.map { Table.ratio(Double(runner) / Double($0)) } ?? "")
    }

    static func mebibytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
}
