/// Checks of a Keras model config (the `.keras` zip's config.json, the `.h5` `model_config`
/// attribute, `keras_metadata.pb`): Lambda layers and serialized lambdas carry Python bytecode
/// (critical); objects whose `module` is outside `keras` or whose `registered_name` is a
/// `Package>Name` custom registration need user code to load (medium: unknown, never clean).
enum KerasConfigCheck {
    static func findings(_ data: [UInt8], entry: String) -> [ScanFinding] {
        guard let json = try? JSONParser.parse(data, maxDepth: 512) else { return textFindings(data, entry: entry) }
        var lambda = 0, serializedLambda = 0
        var custom: [String] = []
        var stack: [JSONValue] = [json]
        var visited = 0
        while let v = stack.popLast(), visited < 1_000_000 {
            visited += 1
            switch v {
            case .array(let items): stack += items
            case .object(let members):
                let cls = v["class_name"]?.stringValue
                if cls == "Lambda" { lambda += 1 }
                if cls == "__lambda__" || v["function_type"]?.stringValue == "lambda" { serializedLambda += 1 }
                if let module = v["module"]?.stringValue, cls != nil, module != "keras", !module.hasPrefix("keras.") {
                    custom.append("\(module).\(cls ?? "?")")
                }
                if let registered = v["registered_name"]?.stringValue, registered.contains(">") { custom.append(registered) }
                stack += members.map(\.value)
            default: break
            }
        }
        var f: [ScanFinding] = []
        if lambda > 0 { f.append(ScanFinding(severity: .critical, rule: "keras.lambda-layer", detail: "\(entry): \(lambda) Lambda layer(s) carry serialized Python bytecode", offset: nil)) }
        else if serializedLambda > 0 { f.append(ScanFinding(severity: .critical, rule: "keras.lambda-layer", detail: "\(entry): serialized lambda function", offset: nil)) }
        for name in Set(custom).sorted().prefix(20) {
            f.append(ScanFinding(severity: .medium, rule: "keras.custom-object", detail: "\(entry): custom object '\(name)' needs user code to load", offset: nil))
        }
        return f
    }

    /// Fallback for a config that is not valid JSON: substring checks, plus a finding saying so.
    static func textFindings(_ data: [UInt8], entry: String) -> [ScanFinding] {
        let text = String(decoding: data, as: UTF8.self)
        var f = [ScanFinding(severity: .medium, rule: "keras.config-unparsed", detail: "\(entry): model config is not valid JSON", offset: nil)]
        if text.contains("\"class_name\": \"Lambda\"") || text.contains("\"class_name\":\"Lambda\"") || text.contains("__lambda__") {
            f.append(ScanFinding(severity: .critical, rule: "keras.lambda-layer", detail: "\(entry): Lambda layer carries serialized Python bytecode", offset: nil))
        }
        return f
    }
}
