import CSandbox
import FoundationEssentials
import Glibc

/// The rlimits for a job, clamped to the runner's own hard limits (raising them needs privileges the
/// sandbox does not have).
enum Rlimits {
    // Linux resource numbers (the Glibc enum does not import as plain integers).
    static let cpu: Int32 = 0, fileSize: Int32 = 1, stack: Int32 = 3, core: Int32 = 4, nproc: Int32 = 6
    static let nofile: Int32 = 7, addressSpace: Int32 = 9

    static func plan(limits: SandboxLimits, profile: SandboxProfile) -> (entries: [csb_rlimit], names: [String]) {
        var entries: [csb_rlimit] = []
        var names: [String] = []
        func add(_ resource: Int32, _ name: String, soft: UInt64, hard: UInt64? = nil) {
            var current = rlimit()
            getrlimit(__rlimit_resource_t(UInt32(resource)), &current)
            let ceiling = UInt64(current.rlim_max)
            entries.append(csb_rlimit(resource: resource, soft: min(soft, ceiling), hard: min(hard ?? soft, ceiling)))
            names.append(name)
        }
        if let ms = limits.cpuTimeMs {
            let seconds = (ms + 999) / 1000
            add(cpu, "CPU", soft: seconds, hard: seconds + 1)  // SIGXCPU first, SIGKILL a second later
        }
        if profile.rlimits.addressSpaceBytes > 0 { add(addressSpace, "AS", soft: profile.rlimits.addressSpaceBytes) }
        if let bytes = limits.fileSizeBytes { add(fileSize, "FSIZE", soft: bytes) }
        if let pids = limits.maxPids { add(nproc, "NPROC", soft: UInt64(pids)) }
        add(nofile, "NOFILE", soft: profile.rlimits.openFiles)
        add(core, "CORE", soft: profile.rlimits.coreBytes)
        if profile.rlimits.stackBytes > 0 { add(stack, "STACK", soft: profile.rlimits.stackBytes) }
        return (entries, names)
    }
}
