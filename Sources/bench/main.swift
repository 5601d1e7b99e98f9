import Foundation

// `bench [patch|sandbox|kafka|check|environment|agent|selection|all]`: every figure is printed next to a baseline measured in
// the same run, and as a table row (Table.swift) for scripts/bench.
let which = CommandLine.arguments.dropFirst().first ?? "all"
let suites: [(String, () async throws -> Void)] = [
    ("patch", PatchBench.run),
    ("sandbox", SandboxBench.run),
    ("kafka", KafkaBench.run),
    ("check", CheckBench.run),
    ("environment", EnvironmentBench.run),
    ("agent", AgentBench.run),
    ("selection", SelectionBench.run),
]
guard which == "all" || suites.contains(where: { $0.0 == which }) else {
    print("usage: bench [\(suites.map(\.0).joined(separator: "|"))|all]")
    exit(64)
}
for (name, run) in suites where which == "all" || which == name {
    print("== \(name)")
    try await run()
}
if which != "all" { Table.ownMemoryRow(suite: which) }
