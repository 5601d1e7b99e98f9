import Foundation
import SwiftProtobuf

/// A task file that cannot be submitted, naming the field at fault.
public struct TaskFileError: Error, Sendable, CustomStringConvertible {
    /// A path into the file such as `tasks[1].base_commit`; empty when the file as a whole is wrong.
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}

/// Task files: a `TaskBundle` or a single `CodingTask` in protobuf JSON, with either the `.proto`
/// field names (`base_commit`) or lowerCamel (`baseCommit`).
///
/// Checks: the JSON is an object; no unknown field; every value has the field's type; at least one
/// task; every task has a non-empty `goal`; task ids are unique within the bundle; `reserved_lease_ids`
/// are decimal int64 values. `id` and `base_commit` may be left out, as the original design does: the
/// agent derives a stable id (`TaskIdentity`) and works on the remote's default-branch head.
public enum TaskFile {
    /// Reads and checks a task file. A single `CodingTask` is wrapped in a `TaskBundle` whose
    /// `bundle_id` is the task's id.
    /// - Throws: `TaskFileError` naming the field at fault.
    public static func decode(_ data: Data) throws(TaskFileError) -> TaskBundle {
        let object = try jsonObject(data, field: "")
        let bundle: TaskBundle
        if object["tasks"] != nil || object["bundle_id"] != nil || object["bundleId"] != nil {
            bundle = try decodeBundle(object)
        } else {
            let task: CodingTask = try decodeMessage(object, field: "")
            bundle = TaskBundle.with {
                $0.bundleID = task.id
                $0.tasks = [task]
            }
        }
        try validate(
            bundle, isSingleTask: object["tasks"] == nil && object["bundle_id"] == nil && object["bundleId"] == nil)
        return bundle
    }

    /// Reads `url` and checks it as `decode(_:)` does.
    /// - Throws: `TaskFileError` when the file cannot be read or is not a valid task file.
    public static func load(contentsOf url: URL) throws(TaskFileError) -> TaskBundle {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TaskFileError(field: "", problem: "cannot read \(url.path): \(error.localizedDescription)")
        }
        return try decode(data)
    }

    private static func decodeBundle(_ object: [String: Any]) throws(TaskFileError) -> TaskBundle {
        var rest = object
        let tasksValue = rest.removeValue(forKey: "tasks")
        var bundle: TaskBundle = try decodeMessage(rest, field: "")
        guard let tasksValue else { return bundle }
        guard let tasks = tasksValue as? [Any] else {
            throw TaskFileError(field: "tasks", problem: "must be a list of tasks")
        }
        for (index, element) in tasks.enumerated() {
            let field = "tasks[\(index)]"
            guard let taskObject = element as? [String: Any] else {
                throw TaskFileError(field: field, problem: "must be an object")
            }
            bundle.tasks.append(try decodeMessage(taskObject, field: field))
        }
        return bundle
    }

    /// Decodes one JSON object as `M`, key by key first, so an error names its field.
    private static func decodeMessage<M: SwiftProtobuf.Message>(_ object: [String: Any], field: String)
        throws(TaskFileError) -> M
    {
        for key in object.keys.sorted() {
            let path = field.isEmpty ? key : "\(field).\(key)"
            do {
                _ = try M(jsonUTF8Data: try JSONSerialization.data(withJSONObject: [key: object[key]!]))
            } catch JSONDecodingError.unknownField {
                throw TaskFileError(field: path, problem: "unknown field (expected one of \(fieldNames(of: M.self)))")
            } catch {
                throw TaskFileError(field: path, problem: "invalid value (\(error))")
            }
        }
        do {
            return try M(jsonUTF8Data: try JSONSerialization.data(withJSONObject: object))
        } catch {
            throw TaskFileError(field: field, problem: "invalid \(M.protoMessageName): \(error)")
        }
    }

    private static func jsonObject(_ data: Data, field: String) throws(TaskFileError) -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TaskFileError(field: field, problem: "not valid JSON (\(error.localizedDescription))")
        }
        guard let object = value as? [String: Any] else {
            throw TaskFileError(field: field, problem: "must be a JSON object (a TaskBundle or a CodingTask)")
        }
        return object
    }

    private static func validate(_ bundle: TaskBundle, isSingleTask: Bool) throws(TaskFileError) {
        guard !bundle.tasks.isEmpty else { throw TaskFileError(field: "tasks", problem: "must hold at least one task") }
        var seen: Set<String> = []
        for (index, task) in bundle.tasks.enumerated() {
            let prefix = isSingleTask ? "" : "tasks[\(index)]."
            func require(_ value: String, _ name: String) throws(TaskFileError) {
                if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    throw TaskFileError(field: prefix + name, problem: "is required and must not be empty")
                }
            }
            try require(task.goal, "goal")
            guard task.id.isEmpty || seen.insert(task.id).inserted else {
                throw TaskFileError(field: prefix + "id", problem: "duplicate task id \(task.id)")
            }
            for (leaseIndex, lease) in task.reservedLeaseIds.enumerated() where Int64(lease) == nil {
                throw TaskFileError(
                    field: prefix + "reserved_lease_ids[\(leaseIndex)]",
                    problem: "must be a decimal int64, got \"\(lease)\"")
            }
        }
    }

    /// The `.proto` field names, for error messages (a test keeps them in step with Protos/).
    public static let bundleFieldNames = ["bundle_id", "tasks"]
    public static let taskFieldNames = [
        "id", "goal", "kind", "path", "blob_ids", "reserved_lease_ids", "base_commit", "repo",
    ]

    private static func fieldNames<M: SwiftProtobuf.Message>(of type: M.Type) -> String {
        (M.self == TaskBundle.self ? bundleFieldNames : taskFieldNames).joined(separator: ", ")
    }
}
