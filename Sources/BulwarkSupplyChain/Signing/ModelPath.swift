#if canImport(Glibc)
internal import Glibc
// `struct stat` may resolve through CoreFoundation once Foundation is imported publicly in the module.
#if canImport(CoreFoundation)
internal import CoreFoundation
#endif
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Relative model paths as model-signing writes them: POSIX separators, no `.` components, and
/// ordered component by component (Python's `PurePosixPath` ordering).
enum ModelPath {
    /// `a//b/./c` → `a/b/c`; `..` removes the previous component; `nil` when the path leaves
    /// the model root or is absolute.
    static func normalize(_ path: String) -> String? {
        guard !path.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
                continue
            }
            parts.append(component)
        }
        return parts.joined(separator: "/")
    }

    /// Python's `PurePosixPath` order: the lists of components compared lexicographically, each
    /// component by Unicode code points.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.split(separator: "/", omittingEmptySubsequences: true)
        let right = rhs.split(separator: "/", omittingEmptySubsequences: true)
        for (a, b) in zip(left, right) where a != b {
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
        }
        return left.count < right.count
    }

    /// Whether `path` is `prefix` or lies inside it (component-wise, like `Path.is_relative_to`).
    static func isInside(_ path: String, _ prefix: String) -> Bool {
        if prefix.isEmpty { return true }
        return path == prefix || path.hasPrefix(prefix + "/")
    }
}

/// A regular file of a model found by ``ModelWalker``.
struct ModelFile: Sendable {
    /// Normalized path relative to the model root (`.` when the model is a single file).
    let relativePath: String
    /// Path to open.
    let absolutePath: String
    /// Size in bytes when listed.
    let size: Int64
}

/// Lists the files of a model the way model-signing's serializers do: every regular file under
/// the root (hidden ones too), symbolic links refused unless allowed (links to files are
/// followed, links to directories are not descended into), special files refused, ignored
/// paths skipped without being descended into.
enum ModelWalker {
    /// Deepest directory nesting accepted (a bound on hostile trees).
    static let maxDepth = 512

    /// The model's name as model-signing records it: the last component of the path.
    static func modelName(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let last = trimmed.split(separator: "/").last.map(String.init) ?? ""
        if last.isEmpty || last == "." || last == ".." {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if realpath(path, &buffer) != nil {
                let resolved = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return resolved.split(separator: "/").last.map(String.init) ?? resolved
            }
        }
        return last
    }

    /// Every regular file of the model at `root`, not sorted.
    static func files(at root: String, ignoring ignorePaths: [String], allowSymlinks: Bool) throws(SigningError) -> [ModelFile] {
        let rootKind = try kind(of: root, allowSymlinks: allowSymlinks)
        switch rootKind {
        case .file(let size):
            return [ModelFile(relativePath: ".", absolutePath: root, size: size)]
        case .directory(isLink: _):
            break
        }
        var result: [ModelFile] = []
        var pending: [(relative: String, depth: Int)] = [("", 0)]
        while let (directory, depth) = pending.popLast() {
            guard depth <= maxDepth else {
                throw SigningError(.unsupportedPath, "model directory '\(directory)' is nested deeper than \(maxDepth) levels")
            }
            let absoluteDirectory = directory.isEmpty ? root : root + "/" + directory
            for name in try entries(of: absoluteDirectory) {
                let relative = directory.isEmpty ? name : directory + "/" + name
                if ignorePaths.contains(where: { ModelPath.isInside(relative, $0) }) { continue }
                let absolute = absoluteDirectory + "/" + name
                switch try kind(of: absolute, allowSymlinks: allowSymlinks) {
                case .file(let size):
                    result.append(ModelFile(relativePath: relative, absolutePath: absolute, size: size))
                case .directory(let isLink):
                    if !isLink { pending.append((relative, depth + 1)) }
                }
            }
        }
        return result
    }

    private enum Kind {
        case file(size: Int64)
        case directory(isLink: Bool)
    }

    private static func kind(of path: String, allowSymlinks: Bool) throws(SigningError) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw SigningError(.io, "cannot read '\(path)': \(errnoDescription())")
        }
        let isLink = (info.st_mode & S_IFMT) == S_IFLNK
        if isLink {
            guard allowSymlinks else {
                throw SigningError(.unsupportedPath, "'\(path)' is a symbolic link; pass --allow-symlinks to follow links")
            }
            guard stat(path, &info) == 0 else {
                throw SigningError(.unsupportedPath, "'\(path)' is a broken symbolic link")
            }
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file(size: Int64(info.st_size))
        case S_IFDIR: return .directory(isLink: isLink)
        default:
            throw SigningError(.unsupportedPath, "'\(path)' is neither a regular file nor a directory (socket, pipe or device)")
        }
    }

    private static func entries(of directory: String) throws(SigningError) -> [String] {
        guard let handle = opendir(directory) else {
            throw SigningError(.io, "cannot list directory '\(directory)': \(errnoDescription())")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw SigningError(.unsupportedPath, "a file name in '\(directory)' is not valid UTF-8")
            }
            names.append(name)
        }
        return names
    }
}

/// The text of the current `errno`.
func errnoDescription() -> String {
    guard let text = strerror(errno) else { return "error \(errno)" }
    return String(cString: text)
}

/// Turns command-line paths into model-relative ignore paths the way the `model_signing` CLI
/// does: each path is resolved from the current directory (symbolic links followed), and kept
/// only if it lies inside the model.
public enum ModelPathResolver {
    /// The paths among `paths` that lie inside `model`, relative to it.
    public static func relativeToModel(model: String, paths: [String]) -> [String] {
        let root = resolve(model)
        var result: [String] = []
        for path in paths {
            let full = resolve(path)
            guard full != root, ModelPath.isInside(full, root == "/" ? "" : root) else { continue }
            let relative = String(full.dropFirst(root == "/" ? 1 : root.count + 1))
            if !relative.isEmpty { result.append(relative) }
        }
        return result
    }

    /// An absolute path with `.`/`..` removed and symbolic links of its existing part followed.
    static func resolve(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let cwd = getcwd(&buffer, buffer.count) != nil ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/"
            absolute = cwd + "/" + path
        }
        // Follow links of the longest existing prefix, keep the rest lexically.
        var components = absolute.split(separator: "/").map(String.init)
        var tail: [String] = []
        while true {
            let candidate = "/" + components.joined(separator: "/")
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if realpath(candidate, &buffer) != nil {
                let resolved = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                var parts = resolved.split(separator: "/").map(String.init)
                for part in tail.reversed() {
                    if part == "." || part.isEmpty { continue }
                    if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
                    parts.append(part)
                }
                return "/" + parts.joined(separator: "/")
            }
            guard let last = components.popLast() else { return absolute }
            tail.append(last)
        }
    }
}
