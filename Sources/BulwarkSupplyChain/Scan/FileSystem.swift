import BulwarkArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Minimal directory listing without Foundation.
enum FileSystem {
    /// Names in `path` if it is a directory, else nil.
    static func directoryEntries(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            names.append(name)
        }
        return names
    }

    /// Whether `path` names an existing regular file (links followed).
    static func isRegularFile(_ path: String) -> Bool {
        access(path, F_OK) == 0 && FileChecks.nonRegularKind(path) == nil
    }
}
