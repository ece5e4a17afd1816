import BulwarkArchive
internal import Glibc
// `struct stat` may resolve through CoreFoundation once Foundation is imported publicly in the module.
#if canImport(CoreFoundation)
internal import CoreFoundation
#endif

/// The files a scan of some paths covers: a directory walk that cannot loop or hang.
///
/// Regular files are listed once each (by device and inode), whatever paths reach them;
/// symbolic links to directories are skipped (and reported) unless `followSymlinks`, and
/// with it a directory already on the walk is a reported cycle; FIFOs, sockets and devices
/// are reported as errors without ever being opened.
struct ScanTargets {
    let followSymlinks: Bool
    /// Regular files to scan.
    private(set) var files: [String] = []
    /// Paths reported without being opened (special files, skipped links, cycles).
    private(set) var refused: [ScannedFile] = []
    private var seenFiles = Set<FileID>()
    private var visitedDirectories = Set<FileID>()

    struct FileID: Hashable { var device: UInt64; var inode: UInt64 }

    init(followSymlinks: Bool) { self.followSymlinks = followSymlinks }

    mutating func collect(_ path: String, depth: Int = 0) {
        var link = stat()
        guard lstat(path, &link) == 0 else {
            refused.append(ScannedFile(path: path, format: "unknown", verdict: .error, findings: [ScanFinding(severity: .high, rule: "io.unreadable", detail: "'\(path)': \(String(cString: strerror(errno)))", offset: nil)], reason: "cannot read the path"))
            return
        }
        let isLink = (link.st_mode & S_IFMT) == S_IFLNK
        var info = link
        if isLink {
            guard stat(path, &info) == 0 else {
                refused.append(ScannedFile(path: path, format: "symlink", verdict: .unsupported, findings: [], reason: "broken symbolic link"))
                return
            }
        }
        let id = FileID(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            if seenFiles.insert(id).inserted { files.append(path) }
        case S_IFDIR:
            if isLink && depth > 0 && !followSymlinks {
                refused.append(ScannedFile(path: path, format: "symlink", verdict: .unsupported, findings: [], reason: "symbolic link to a directory, not followed (pass --follow-symlinks)"))
                return
            }
            guard depth < 64 else {
                refused.append(ScannedFile(path: path, format: "directory", verdict: .unsupported, findings: [], reason: "directory nested more than 64 levels deep, not walked"))
                return
            }
            guard visitedDirectories.insert(id).inserted else {
                refused.append(ScannedFile(path: path, format: "directory", verdict: .unsupported, findings: [], reason: "directory already walked through another path (symbolic link cycle or alias)"))
                return
            }
            guard let children = FileSystem.directoryEntries(path) else { return }
            for c in children.sorted() where c != "." && c != ".." {
                collect(path.hasSuffix("/") ? path + c : path + "/" + c, depth: depth + 1)
            }
        default:
            let kind = FileChecks.nonRegularKind(path) ?? "special file"
            refused.append(ScannedFile(path: path, format: "special", verdict: .error,
                                       findings: [ScanFinding(severity: .high, rule: "io.not-regular-file", detail: "'\(path)' is not a regular file (\(kind)); not opened", offset: nil)],
                                       reason: "not a regular file (\(kind))"))
        }
    }
}
