import BulwarkArchive

/// Checks of a Keras model config (the `.keras` zip's config.json, the `.h5` `model_config`
/// attribute, `keras_metadata.pb`).
///
/// Critical, because loading runs or fetches code even with `safe_mode=True` in affected
/// Keras versions:
/// - Lambda layers and serialized lambdas (Python bytecode);
/// - objects whose `module` is a Python module that reaches the process, the file system, the
///   network or the interpreter (`os`, `subprocess`, `builtins`, …: CVE-2025-1550's pattern);
/// - Keras functions that fetch or load files or switch off safe mode when deserialized as an
///   object (`keras.utils.get_file`: CVE-2025-8747; `TFSMLayer` loading an outside SavedModel:
///   CVE-2026-1462; `load_model`/`load_weights`; `enable_unsafe_deserialization`).
///
/// Medium (unknown, never clean): objects whose `module` is outside `keras`, or whose
/// `registered_name` is a `Package>Name` custom registration, since they need user code.
enum KerasConfigCheck {
    /// Python modules a Keras config must never name.
    static let dangerousModules: Set<String> = [
        "os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys", "importlib", "shutil", "socket",
        "pickle", "marshal", "ctypes", "runpy", "code", "pty", "webbrowser", "urllib", "requests", "http",
        "pathlib", "io", "tempfile", "glob", "types", "operator", "functools", "multiprocessing", "asyncio",
        "signal", "pdb", "timeit", "dill", "cloudpickle", "yaml", "jinja2", "IPython", "setuptools", "pip",
        "tensorflow.io", "tensorflow.keras.utils", "tf.io",
    ]
    /// Keras callables and classes that fetch, load or run things when a config names them.
    static let dangerousKerasNames: [String: String] = [
        "get_file": "downloads a file to a path the config chooses (CVE-2025-8747)",
        "TFSMLayer": "loads a TensorFlow SavedModel from a path the config chooses (CVE-2026-1462)",
        "load_model": "loads another model file",
        "load_weights": "loads another weights file",
        "enable_unsafe_deserialization": "switches off safe mode for the rest of the load",
        "custom_object_scope": "registers arbitrary objects for deserialization",
        "model_from_json": "deserializes another config",
        "model_from_yaml": "deserializes another config (YAML)",
        "deserialize_keras_object": "deserializes an arbitrary object",
        "FileSystem": "file system access",
        "GFile": "file system access",
        "set_global_attribute": "sets attributes of Keras' global state, a step of known safe_mode bypasses",
        "exec": "runs code", "eval": "runs code", "system": "runs a shell command", "popen": "runs a command",
        "__import__": "imports any module", "import_module": "imports any module", "getattr": "attribute access gadget",
    ]

    static func findings(_ data: [UInt8], entry: String) -> [ScanFinding] {
        guard let json = try? JSONParser.parse(data, maxDepth: 512) else { return textFindings(data, entry: entry) }
        var lambda = 0, serializedLambda = 0
        var custom: [String] = []
        var dangerous: [(String, String)] = []
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
                let module = v["module"]?.stringValue
                let registered = v["registered_name"]?.stringValue
                // Keras 3 writes a function as {"module": m, "class_name": "function", "config": "name"}.
                let function = cls == "function" || registered == "function" ? v["config"]?.stringValue : nil
                if let function, let why = dangerousFunction(module: module, name: function) {
                    dangerous.append(("\(module.map { $0 + "." } ?? "")\(function)", why))
                } else if function == nil, let why = dangerousReference(module: module, className: cls, registeredName: registered) {
                    dangerous.append(("\(module.map { $0 + "." } ?? "")\(cls ?? registered ?? "?")", why))
                } else {
                    if let module, cls != nil, module != "keras", !module.hasPrefix("keras.") { custom.append("\(module).\(cls ?? "?")") }
                    if let registered, registered.contains(">") { custom.append(registered) }
                }
                stack += members.map(\.value)
            default: break
            }
        }
        var f: [ScanFinding] = []
        if lambda > 0 { f.append(ScanFinding(severity: .critical, rule: "keras.lambda-layer", detail: "\(entry): \(lambda) Lambda layer(s) carry serialized Python bytecode", offset: nil, explanation: "built-in Keras check: a Lambda layer's bytecode runs when the model is built")) }
        else if serializedLambda > 0 { f.append(ScanFinding(severity: .critical, rule: "keras.lambda-layer", detail: "\(entry): serialized lambda function", offset: nil, explanation: "built-in Keras check: a serialized lambda is Python bytecode")) }
        var seen = Set<String>()
        for (name, why) in dangerous where seen.insert(name).inserted && seen.count <= 20 {
            f.append(ScanFinding(severity: .critical, rule: "keras.dangerous-object", detail: "\(entry): '\(name)' \(why)", offset: nil,
                                 explanation: "built-in Keras check: config objects are imported and called while loading, even with safe_mode in affected Keras versions"))
        }
        for name in Set(custom).sorted().prefix(20) {
            f.append(ScanFinding(severity: .medium, rule: "keras.custom-object", detail: "\(entry): custom object '\(name)' needs user code to load", offset: nil,
                                 explanation: "built-in Keras check: objects outside the keras namespace are unknown, never clean"))
        }
        return f
    }

    /// Why a serialized function `module` + `name` (the name may be dotted: `os.system`) is
    /// dangerous, or nil for an ordinary function (`keras.activations` `relu`).
    static func dangerousFunction(module: String?, name: String) -> String? {
        let parts = name.split(separator: ".").map(String.init)
        if let why = dangerousReference(module: ([module].compactMap { $0 } + parts.dropLast()).joined(separator: "."), className: parts.last, registeredName: nil) {
            return why
        }
        if let last = parts.last, GadgetNames.executionNames.contains(last) { return "is a function that runs code, loads or opens files" }
        if parts.count > 1 { return "is a dotted function name: an attribute walk from \(module ?? "a module") to \(name)" }
        return nil
    }

    /// Why a config object naming `module`/`class_name`/`registered_name` is dangerous, or nil.
    static func dangerousReference(module: String?, className: String?, registeredName: String?) -> String? {
        if let module, !module.isEmpty {
            let parts = module.split(separator: ".")
            let prefixes = parts.indices.map { parts[...$0].joined(separator: ".") }
            if prefixes.contains(where: dangerousModules.contains) {
                return "comes from the Python module '\(module)', which reaches the process, files or the interpreter"
            }
        }
        for name in [className, registeredName].compactMap({ $0 }) {
            let last = name.split(whereSeparator: { $0 == ">" || $0 == "." }).last.map(String.init) ?? name
            if let why = dangerousKerasNames[last], module == nil || module == "keras" || module?.hasPrefix("keras") == true || module?.hasPrefix("tensorflow") == true || module?.hasPrefix("tf_keras") == true {
                return why
            }
        }
        return nil
    }

    /// Fallback for a config that is not valid JSON: substring checks, plus a finding saying so.
    static func textFindings(_ data: [UInt8], entry: String) -> [ScanFinding] {
        let text = String(decoding: data, as: UTF8.self)
        var f = [ScanFinding(severity: .medium, rule: "keras.config-unparsed", detail: "\(entry): model config is not valid JSON", offset: nil)]
        if text.contains("\"class_name\": \"Lambda\"") || text.contains("\"class_name\":\"Lambda\"") || text.contains("__lambda__") {
            f.append(ScanFinding(severity: .critical, rule: "keras.lambda-layer", detail: "\(entry): Lambda layer carries serialized Python bytecode", offset: nil))
        }
        for name in dangerousKerasNames.keys.sorted() where text.contains("\"\(name)\"") {
            f.append(ScanFinding(severity: .critical, rule: "keras.dangerous-object", detail: "\(entry): names '\(name)' (\(dangerousKerasNames[name] ?? ""))", offset: nil))
        }
        return f
    }
}
