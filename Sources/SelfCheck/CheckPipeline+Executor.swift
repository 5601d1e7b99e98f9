import Contracts
import RunnerProtocol

/// `selfcheck-runner serve` runs the pipeline for each request that arrives on its socket.
extension CheckPipeline: CheckExecutor {}
