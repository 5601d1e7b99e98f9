import ArgumentParser
import Logs

/// `--log-format human|json` on the commands that take it (`Logs` itself stays free of ArgumentParser, so
/// `selfcheck-runner exec` does not link it).
extension LogFormat: ExpressibleByArgument {}
