import Foundation

/// The standard `process_*` series of Prometheus clients, read from /proc and getrusage at each scrape
/// and appended to the registry's text: open and allowed file descriptors, resident and virtual memory,
/// CPU time and start time. Dashboards and alerts written for any Prometheus client work unchanged, and
/// a descriptor leak shows long before the process runs out.
enum ProcessMetrics {
    static func text() -> String {
        var lines: [String] = []
        func add(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            lines += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)", "\(name) \(format(value))"]
        }
        add("process_open_fds", "gauge", "Number of open file descriptors.", openFileDescriptors().map { Double($0) })
        add(
            "process_max_fds", "gauge", "Maximum number of open file descriptors.",
            maxFileDescriptors().map { Double($0) })
        let memory = memoryBytes()
        add("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", memory.map { Double($0.virtual) })
        add(
            "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
            memory.map { Double($0.resident) })
        add("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds())
        add(
            "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTime()
        )
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// Entries of /proc/self/fd, less the one the listing itself holds open.
    static func openFileDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map { max(0, $0.count - 1) }
    }

    static func maxFileDescriptors() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return UInt64(limit.rlim_cur)
    }

    /// /proc/self/statm: total and resident pages.
    static func memoryBytes() -> (virtual: Int, resident: Int)? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ").compactMap { Int($0) }
        guard fields.count >= 2 else { return nil }
        let page = sysconf(Int32(_SC_PAGESIZE))
        return (fields[0] * page, fields[1] * page)
    }

    static func cpuSeconds() -> Double? {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Boot time (`btime` of /proc/stat) plus the process's start in clock ticks after boot (field 22 of
    /// /proc/self/stat, counted after the parenthesised command name, which may hold spaces).
    static func startTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let bootLine = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(bootLine.dropFirst("btime ".count))
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
