import Glibc

/// Checks that keep commands from hanging on, or writing over, the wrong file.
///
/// - A path that is not a regular file (FIFO, socket, device) is refused *before* it is
///   read: opening a FIFO for reading blocks until a writer appears, and reading a device
///   never ends. ``FileSource`` opens with `O_NONBLOCK` and checks `fstat`, so the check
///   and the open cannot race.
/// - An output path must not name one of the command's inputs (by real path or by device and
///   inode, so `./m.onnx`, `m.onnx` and a hard link all count) nor lie inside a tree the
///   command reads whole (a model directory it signs or describes).
///
/// ```swift
/// let policy = try FileChecks.readRegularFile("extra.policy", maxBytes: 1 << 20)
/// try FileChecks.checkOutput("model.sig", notOverwriting: [], notInside: ["model"], role: "--signature")
/// ```
public enum FileChecks {
    /// The kind of a path that is not a regular file ("FIFO", "socket", "character device",
    /// "block device", "directory"), following symbolic links; nil for a regular file or a
    /// path that does not exist.
    public static func nonRegularKind(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return kindName(info.st_mode)
    }

    static func kindName(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFIFO: "FIFO"
        case S_IFSOCK: "socket"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFDIR: "directory"
        default: "special file"
        }
    }

    /// The whole content of the regular file at `path` (at most `maxBytes`), never blocking
    /// on a FIFO or device.
    /// - Throws: `.io` for a missing or non-regular file, `.limitExceeded` above `maxBytes`.
    public static func readRegularFile(_ path: String, maxBytes: Int) throws(ArchiveError) -> [UInt8] {
        let source = try FileSource(path: path)
        guard source.size <= maxBytes else {
            throw ArchiveError(.limitExceeded, "\(path): \(source.size) bytes is more than the \(maxBytes) allowed")
        }
        return try source.read(offset: 0, count: source.size)
    }

    /// Throws `.io` unless `path` is an existing regular file (links followed), without opening it.
    public static func requireRegularFile(_ path: String) throws(ArchiveError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ArchiveError(.io, "'\(path)': \(String(cString: strerror(errno)))") }
        if let kind = kindName(info.st_mode) { throw ArchiveError(.io, "'\(path)' is not a regular file (\(kind))") }
    }

    /// Refuses an output that would overwrite one of `inputs` or land inside one of `trees`.
    /// `role` names the option in the message (`--out`, `--signature`).
    public static func checkOutput(_ output: String, notOverwriting inputs: [String], notInside trees: [String] = [], role: String) throws(ArchiveError) {
        let target = resolvedPath(output)
        var targetInfo = stat()
        let targetExists = stat(output, &targetInfo) == 0
        for input in inputs {
            var info = stat()
            let sameInode = targetExists && stat(input, &info) == 0 && info.st_dev == targetInfo.st_dev && info.st_ino == targetInfo.st_ino
            if sameInode || resolvedPath(input) == target {
                throw ArchiveError(.io, "\(role) '\(output)' is also an input ('\(input)'); refusing to overwrite it")
            }
        }
        for tree in trees {
            var info = stat()
            guard stat(tree, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            let root = resolvedPath(tree)
            if target == root || target.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
                throw ArchiveError(.io, "\(role) '\(output)' lies inside '\(tree)', which this command reads; write it outside that folder")
            }
        }
    }

    /// The absolute path with symbolic links resolved; for a path that does not exist yet,
    /// its folder resolved and its name appended.
    public static func resolvedPath(_ path: String) -> String {
        if let real = realPath(path) { return real }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let base = realPath(folder.isEmpty ? "/" : folder) ?? folder
        return base == "/" ? "/" + name : base + "/" + name
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
