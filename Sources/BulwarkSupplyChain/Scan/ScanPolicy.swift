/// Allowlist-first classification of the callables a pickle imports or calls.
///
/// The policy is data: lines of `<class> <module> <name> [reason…]` where class is `safe` or
/// `dangerous`, name is an exact callable (`_rebuild_tensor_v2`, `OrderedDict`) or `*` for the
/// module and all its submodules (allowed only for `dangerous`: whole-module allowances are how
/// deny-list scanners get bypassed). `#` starts a comment. Every `safe` line carries a reason
/// (why loading it cannot run code), so an allowance can be reviewed.
///
/// Lookup, in order:
/// 1. **Gadget rule** (not data, cannot be overridden): a dotted name (protocol 4's
///    `STACK_GLOBAL` resolves `a.b.c` by walking attributes, as `pickle.find_class` does) that
///    passes through interpreter internals (`__globals__`, `__builtins__`, `__subclasses__`,
///    `__dict__`, `sys.modules`, `__main__`, …), reaches a dangerous module or ends in a
///    dangerous callable is dangerous, whatever module it starts from.
/// 2. The layers of rules, the last merged first (so a `--policy` file can extend *or*
///    tighten the built-in one): dangerous exact, safe exact, dangerous module wildcard.
///    A dotted name is safe only when a `safe` line names it exactly.
/// 3. Anything else is **unknown**, never clean. `BUILD`/`NEWOBJ` records (`X.__setstate__`,
///    `X.__new__`) are classified by their class `X`.
///
/// ```swift
/// var policy = ScanPolicy.default
/// try policy.merge(text: "safe mylib.layers Dense plain layer, no __reduce__", source: "mine.policy")
/// policy.classify(module: "os", name: "system")   // .dangerous(rule "dangerous os *")
/// ```
public struct ScanPolicy: Sendable {
    /// The class of a callable, with the rule that decided it.
    public enum Classification: Sendable, Equatable {
        /// Listed as safe for loading.
        case safe(ScanRule)
        /// Listed as dangerous (or caught by the gadget rule).
        case dangerous(ScanRule)
        /// Not listed: never treated as clean.
        case unknown

        /// Whether the callable is allowed.
        public var isSafe: Bool { if case .safe = self { true } else { false } }
        /// Whether the callable is dangerous.
        public var isDangerous: Bool { if case .dangerous = self { true } else { false } }

        /// The rule, when one matched.
        public var rule: ScanRule? {
            switch self {
            case .safe(let r), .dangerous(let r): r
            case .unknown: nil
            }
        }
    }

    private struct Layer: Sendable {
        var safe: [String: ScanRule] = [:]
        var dangerousExact: [String: ScanRule] = [:]
        var dangerousModules: [String: ScanRule] = [:]
    }
    private var layers: [Layer] = []

    /// The built-in policy (see `DefaultPolicy.swift`, the same text format users extend).
    public static let `default`: ScanPolicy = {
        var p = ScanPolicy()
        try? p.merge(text: defaultPolicyText, source: "built-in policy")
        return p
    }()

    /// An empty policy: everything unknown.
    public init() {}

    /// Adds the lines of `text` as a new layer that takes precedence over the earlier ones;
    /// throws naming the first malformed line. `source` names the text in explanations
    /// (a file name, or "built-in policy").
    public mutating func merge(text: String, source: String = "policy") throws(ScanError) {
        var layer = Layer()
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.isEmpty { continue }
            guard words.count >= 3 else { throw ScanError("\(source) line \(lineNumber): expected '<safe|dangerous> <module> <name> [reason]'") }
            let module = String(words[1]), name = String(words[2])
            let origin = "\(source), line \(lineNumber)"
            switch words[0] {
            case "safe":
                guard name != "*" else { throw ScanError("\(source) line \(lineNumber): 'safe' needs an exact callable, not '*'") }
                let reason = words.count > 3 ? words[3...].joined(separator: " ") : "listed as safe"
                layer.safe[module + " " + name] = ScanRule(kind: .safe, module: module, name: name, reason: reason, source: origin)
            case "dangerous":
                let reason = words.count > 3 ? words[3...].joined(separator: " ") : "listed as dangerous"
                let rule = ScanRule(kind: .dangerous, module: module, name: name, reason: reason, source: origin)
                if name == "*" { layer.dangerousModules[module] = rule } else { layer.dangerousExact[module + " " + name] = rule }
            default:
                throw ScanError("\(source) line \(lineNumber): class must be 'safe' or 'dangerous', got '\(words[0])'")
            }
        }
        layers.append(layer)
    }

    /// Every `safe` rule, for review (`bulwark scan --explain` lists the rules behind findings).
    public var safeRules: [ScanRule] { layers.flatMap(\.safe.values).sorted { ($0.module, $0.name) < ($1.module, $1.name) } }

    /// Classifies `module.name` (see the type's documentation for the order of the checks).
    /// Python 2 names are first mapped as the unpickler's `fix_imports` does for protocols 0–2
    /// (`__builtin__.xrange` is `builtins.range`, `copy_reg` is `copyreg`).
    public func classify(module rawModule: String, name: String) -> Classification {
        var n = name
        for suffix in [".__setstate__", ".__new__", "()"] where n.hasSuffix(suffix) { n = String(n.dropLast(suffix.count)) }
        var module = rawModule
        if let mapped = PythonTwoNames.names[rawModule + " " + n] { module = mapped.module; n = mapped.name }
        else if let mapped = PythonTwoNames.modules[rawModule] { module = mapped }
        if let gadget = gadgetRule(module: module, name: n) { return .dangerous(gadget) }
        for layer in layers.reversed() {
            if let r = layer.dangerousExact[module + " " + n] { return .dangerous(r) }
            if let r = layer.safe[module + " " + n] { return .safe(r) }
            if let r = Self.wildcard(layer, module: module) { return .dangerous(r) }
            // A dotted name is resolved inside the module it names: check every module prefix
            // the walk passes through (`numpy` + `testing._private.utils.runstring`).
            let parts = n.split(separator: ".").map(String.init)
            if parts.count > 1 {
                var path = module
                for i in 0..<(parts.count - 1) {
                    path += "." + parts[i]
                    let rest = parts[(i + 1)...].joined(separator: ".")
                    if let r = layer.dangerousExact[path + " " + rest] ?? layer.dangerousExact[path + " " + parts[i + 1]] { return .dangerous(r) }
                    if let r = Self.wildcard(layer, module: path) { return .dangerous(r) }
                }
                if let r = layer.dangerousExact[module + " " + parts[0]] { return .dangerous(r) }
            }
        }
        // Name rule: a callable not on the allow-list whose name says it runs, loads or opens
        // something (`cProfile.run`, `torch.load`, `pydoc.pipepager`) is dangerous, not unknown.
        if let last = n.split(separator: ".").last.map(String.init), GadgetNames.executionNames.contains(last) {
            return .dangerous(ScanRule(kind: .dangerous, module: module, name: n, reason: "'\(last)' runs code, spawns processes, loads another file or opens files, and \(module) is not on the allow-list",
                                       source: "built-in name rule (callables named like executors)"))
        }
        return .unknown
    }

    private static func wildcard(_ layer: Layer, module: String) -> ScanRule? {
        var m = Substring(module)
        while true {
            if let r = layer.dangerousModules[String(m)] { return r }
            guard let dot = m.lastIndex(of: ".") else { return nil }
            m = m[..<dot]
        }
    }

    /// The gadget rule: attribute walks that reach interpreter internals or dangerous callables.
    private func gadgetRule(module: String, name: String) -> ScanRule? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func rule(_ why: String) -> ScanRule {
            ScanRule(kind: .dangerous, module: module, name: name, reason: why, source: "built-in gadget rule (dotted names are attribute walks)")
        }
        guard parts.count > 1 else { return nil }
        if module == "__main__" { return rule("attribute walk from __main__, the loading program's own namespace") }
        if let hit = parts.first(where: { GadgetNames.interpreterInternals.contains($0) }) {
            return rule("attribute walk through '\(hit)' reaches interpreter internals")
        }
        if let i = parts.firstIndex(of: "modules"), module.hasSuffix("sys") || (i > 0 && parts[i - 1].hasSuffix("sys")) {
            return rule("attribute walk through sys.modules reaches any loaded module")
        }
        if let mod = parts.dropLast().first(where: { GadgetNames.dangerousModuleNames.contains($0) }) {
            return rule("attribute walk reaches the module '\(mod)'")
        }
        if let last = parts.last, GadgetNames.dangerousCallables.contains(last) {
            return rule("attribute walk ends in '\(last)', a callable that runs code, spawns processes or touches files")
        }
        if parts.contains(where: \.isEmpty) { return rule("malformed dotted name") }
        return nil
    }
}

/// One line of a scan policy, or a built-in rule, as shown by `bulwark scan --explain`.
public struct ScanRule: Sendable, Equatable, Codable {
    /// `safe` or `dangerous`.
    public enum Kind: String, Sendable, Codable {
        /// The callable may be imported: no finding.
        case safe
        /// Importing the callable is a critical finding.
        case dangerous
    }
    /// The class the rule gives.
    public var kind: Kind
    /// The module it names.
    public var module: String
    /// The callable it names, or `*` for a whole module.
    public var name: String
    /// Why (one line).
    public var reason: String
    /// Where the rule comes from: "built-in policy, line 12", "mine.policy, line 3", or a built-in rule.
    public var source: String

    /// Creates a rule.
    public init(kind: Kind, module: String, name: String, reason: String, source: String) {
        self.kind = kind; self.module = module; self.name = name; self.reason = reason; self.source = source
    }

    /// One line: `dangerous os * — process execution (built-in policy, line 95)`.
    public var summary: String { "\(kind.rawValue) \(module) \(name) — \(reason) (\(source))" }
}

/// Python 2 module and callable names, mapped as CPython's `_compat_pickle` does when an
/// unpickler loads protocol 0–2 data with `fix_imports=True` (the default).
enum PythonTwoNames {
    static let modules: [String: String] = [
        "__builtin__": "builtins", "copy_reg": "copyreg", "Queue": "queue", "SocketServer": "socketserver",
        "ConfigParser": "configparser", "repr": "reprlib", "tkFileDialog": "tkinter.filedialog", "cPickle": "pickle",
        "_winreg": "winreg", "thread": "_thread", "dummy_thread": "_dummy_thread", "dbhash": "dbm.bsd", "dumbdbm": "dbm.dumb",
        "dbm": "dbm.ndbm", "gdbm": "dbm.gnu", "xmlrpclib": "xmlrpc.client", "DocXMLRPCServer": "xmlrpc.server",
        "SimpleXMLRPCServer": "xmlrpc.server", "httplib": "http.client", "htmlentitydefs": "html.entities",
        "HTMLParser": "html.parser", "Cookie": "http.cookies", "cookielib": "http.cookiejar", "BaseHTTPServer": "http.server",
        "SimpleHTTPServer": "http.server", "CGIHTTPServer": "http.server", "commands": "subprocess", "UserString": "collections",
        "UserList": "collections", "UserDict": "collections", "urlparse": "urllib.parse", "robotparser": "urllib.robotparser",
        "urllib2": "urllib.request", "anydbm": "dbm", "exceptions": "builtins", "cStringIO": "io", "StringIO": "io",
    ]
    static let names: [String: (module: String, name: String)] = [
        "__builtin__ xrange": ("builtins", "range"), "__builtin__ unicode": ("builtins", "str"), "__builtin__ long": ("builtins", "int"),
        "__builtin__ basestring": ("builtins", "str"), "__builtin__ reduce": ("functools", "reduce"), "__builtin__ intern": ("sys", "intern"),
        "__builtin__ unichr": ("builtins", "chr"), "__builtin__ raw_input": ("builtins", "input"), "itertools izip": ("builtins", "zip"),
        "itertools imap": ("builtins", "map"), "itertools ifilter": ("builtins", "filter"), "UserDict IterableUserDict": ("collections", "UserDict"),
        "UserList UserList": ("collections", "UserList"), "UserDict UserDict": ("collections", "UserDict"), "string maketrans": ("builtins", "bytes.maketrans"),
        "whichdb whichdb": ("dbm", "whichdb"), "_socket fromfd": ("socket", "fromfd"), "_multiprocessing win32": ("multiprocessing", "connection"),
    ]
}

/// Names the gadget rule looks for in dotted (attribute-walk) names.
enum GadgetNames {
    /// Attributes that lead from any object to the interpreter's internals.
    static let interpreterInternals: Set<String> = [
        "__builtins__", "__globals__", "__subclasses__", "__dict__", "__class__", "__base__", "__bases__",
        "__mro__", "__code__", "__closure__", "__func__", "__self__", "__getattribute__", "__getattr__",
        "__import__", "__loader__", "__spec__", "__init_subclass__", "__reduce__", "__reduce_ex__",
        "__init__", "__call__", "__wrapped__", "__module__", "__objclass__", "__defaults__", "__kwdefaults__",
        "f_globals", "f_locals", "f_builtins", "f_back", "gi_frame", "gi_code", "cr_frame", "tb_frame",
        "func_globals", "im_func", "im_self", "_getframe",
    ]
    /// Modules that an attribute walk must not pass through (`torch.serialization.os.system`).
    static let dangerousModuleNames: Set<String> = [
        "os", "posix", "nt", "sys", "subprocess", "builtins", "__builtin__", "importlib", "shutil", "socket",
        "pickle", "_pickle", "marshal", "ctypes", "runpy", "code", "codeop", "pty", "webbrowser", "urllib",
        "requests", "http", "pathlib", "io", "_io", "tempfile", "glob", "signal", "multiprocessing", "asyncio",
        "types", "operator", "functools", "pdb", "timeit", "dill", "cloudpickle", "hub", "serialization",
        "_sys", "_os", "_posixsubprocess", "_subprocess", "_socket", "_pickle", "_thread", "npyio", "_npyio_impl",
        "cProfile", "profile", "doctest", "pydoc", "trace", "ensurepip", "ctypeslib",
    ]
    /// Names of callables that run code, spawn processes, load files or open them: dangerous
    /// when the allow-list does not name them, whatever their module (`torch.load`, `cProfile.run`).
    static let executionNames: Set<String> = dangerousCallables.union([
        "fork_exec", "runctx", "runcall", "run_pip", "_run_pip", "debug_script", "debug_src", "testsource", "pipepager",
        "tempfilepager", "pager", "getpager", "read_pickle", "_get_command_stdout", "_popen", "load_library", "LoadLibrary",
        "CDLL", "PyDLL", "dlopen", "loadtxt", "genfromtxt", "load_state_dict_from_url", "download_url_to_file",
        "system_call", "exec_module", "load_module", "load_source", "load_dynamic", "find_and_load", "_call_with_frames_removed",
        "_ufunc_reconstruct", "FileType",
    ]).subtracting(["partial", "reduce"])
    /// Callables that run code, spawn processes, load files or touch the file system.
    static let dangerousCallables: Set<String> = [
        "system", "popen", "Popen", "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput",
        "spawn", "spawnl", "spawnle", "spawnlp", "spawnv", "spawnve", "spawnvp", "posix_spawn", "posix_spawnp",
        "execl", "execle", "execlp", "execv", "execve", "execvp", "execvpe", "fork", "forkpty", "kill", "killpg",
        "eval", "exec", "execfile", "compile", "__import__", "import_module", "getattr", "setattr", "delattr",
        "globals", "locals", "vars", "open", "load", "loads", "remove", "unlink", "rmdir", "removedirs", "rmtree",
        "rename", "replace", "chmod", "chown", "write_text", "write_bytes", "mkdir", "makedirs", "symlink",
        "urlopen", "urlretrieve", "get_file", "run_path", "run_module", "breakpoint", "input", "putenv", "startfile",
        "runstring", "runcode", "interact", "attrgetter", "methodcaller", "itemgetter", "partial", "reduce",
        "load_model", "load_weights", "from_file", "fromfile", "memmap",
    ]
}

