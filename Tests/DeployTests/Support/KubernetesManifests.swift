/// Every manifest in deploy/k8s/.
struct KubernetesManifests {
    static let folder = "deploy/k8s"
    let documents: [YAMLNode]

    init() throws { documents = try DeployFiles.yamlDocuments(inFolder: Self.folder).filter { !$0.isMissing } }

    func objects(kind: String) -> [YAMLNode] { documents.filter { $0["kind"].string == kind } }

    /// The data of the ConfigMap or Secret called `name` (`data` and `stringData` merged).
    func data(of kind: String, named name: String) -> [String: String]? {
        guard let object = objects(kind: kind).first(where: { $0["metadata"]["name"].string == name }) else {
            return nil
        }
        return (object["data"].map.merging(object["stringData"].map) { a, _ in a }).compactMapValues(\.string)
    }

    /// The pod templates of Jobs, with where they came from.
    var podTemplates: [(origin: String, spec: YAMLNode)] {
        objects(kind: "Job").map {
            ("\(Self.folder) Job \($0["metadata"]["name"].string ?? "?")", $0["spec"]["template"]["spec"])
        }
    }

    /// Our containers in one pod (init containers included: the runner is a native sidecar).
    func containers(in spec: YAMLNode, origin: String) -> [DeployedContainer] {
        (spec["initContainers"].list + spec["containers"].list).compactMap { container in
            let image = container["image"].string ?? ""
            let role: DeployedContainer.Role
            if image.hasPrefix("coding-agent") {
                role = .agent
            } else if image.hasPrefix("selfcheck-runner") {
                role = .runner
            } else {
                return nil
            }
            var environment: [String: String] = [:]
            var secrets: [String] = []
            for source in container["envFrom"].list {
                if let name = source["configMapRef"]["name"].string {
                    environment.merge(data(of: "ConfigMap", named: name) ?? ["<missing ConfigMap \(name)>": ""]) {
                        a, _ in a
                    }
                }
                if let name = source["secretRef"]["name"].string {
                    secrets.append(name)
                    environment.merge((data(of: "Secret", named: name) ?? [:]).mapValues { _ in "secret:\(name)" }) {
                        a, _ in a
                    }
                }
            }
            for variable in container["env"].list {
                guard let name = variable["name"].string else { continue }
                let secret = variable["valueFrom"]["secretKeyRef"]
                if let secretName = secret["name"].string {
                    secrets.append(secretName)
                    environment[name] = "secret:\(secretName)/\(secret["key"].string ?? "")"
                } else {
                    environment[name] = variable["value"].string ?? ""
                }
            }
            let security = container["securityContext"]
            let volumes = Set(spec["volumes"].list.compactMap { $0["name"].string })
            return DeployedContainer(
                origin: "\(origin) container \(container["name"].string ?? "?")", name: container["name"].string ?? "?",
                role: role,
                environment: environment, secretReferences: secrets,
                arguments: container["command"].strings + container["args"].strings,
                mounts: container["volumeMounts"].list.compactMap { mount in
                    guard let name = mount["name"].string, volumes.contains(name),
                        let target = mount["mountPath"].string
                    else { return nil }
                    return .init(volume: name, target: target, readOnly: mount["readOnly"].bool ?? false)
                },
                ports: container["ports"].list.compactMap { $0["containerPort"].string.flatMap { Int($0) } },
                privileged: security["privileged"].bool ?? false,
                addedCapabilities: security["capabilities"]["add"].strings,
                droppedCapabilities: security["capabilities"]["drop"].strings,
                uid: (security["runAsUser"].string ?? spec["securityContext"]["runAsUser"].string).flatMap { Int($0) })
        }
    }

    /// Every pod's containers, each pod's list on its own.
    var pods: [(origin: String, spec: YAMLNode, containers: [DeployedContainer])] {
        podTemplates.map { ($0.origin, $0.spec, containers(in: $0.spec, origin: $0.origin)) }
    }
}
