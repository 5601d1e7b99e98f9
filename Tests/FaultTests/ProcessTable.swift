import Foundation

/// What /proc says about processes: memory of the agents and the runner, and sandboxes left behind
/// (their open files: TestSupport's `openFileCount`).
enum ProcessTable {
    /// `VmRSS` and `VmHWM` in KiB, nil when the process is gone.
    static func memory(of pid: Int32) -> (rss: Int, hwm: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else {
                return nil
            }
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        }
        guard let rss = field("VmRSS"), let hwm = field("VmHWM") else { return nil }
        return (rss, hwm)
    }

    static var allPIDs: [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }

    /// The parent pid (field 4 of /proc/PID/stat, after the parenthesised command name).
    static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// Processes descended from `ancestor`.
    static func descendants(of ancestor: Int32) -> [Int32] {
        let parents = Dictionary(uniqueKeysWithValues: allPIDs.compactMap { pid in parent(of: pid).map { (pid, $0) } })
        return parents.keys.filter { pid in
            var current = parents[pid]
            while let next = current, next > 1 {
                if next == ancestor { return true }
                current = parents[next]
            }
            return false
        }
    }

    /// Processes in another pid namespace than ours whose mounts mention `path` (a sandbox mounts its
    /// overlay from the runner's TMPDIR): sandboxes that outlived their runner or job.
    static func sandboxes(mounting path: String) -> [Int32] {
        let ours = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        return allPIDs.filter { pid in
            guard let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/pid"),
                namespace != ours,
                let mounts = try? String(contentsOfFile: "/proc/\(pid)/mountinfo", encoding: .utf8)
            else { return false }
            return mounts.contains(path)
        }
    }

    /// Mount points of this namespace below `path` (idmapped lowers and overlays a killed runner left).
    static func mounts(below path: String) -> [String] {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4].hasPrefix(path) else { return nil }
            return String(fields[4])
        }
    }
}
