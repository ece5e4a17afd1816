internal import Glibc
import Crypto
import Foundation

/// Reads policy and policy-test files: regular files only (a FIFO would block the reader), at
/// most ``maxBytes``, UTF-8.
struct PolicyFile {
    /// The largest policy or test file read (1 MiB).
    static let maxBytes = 1 << 20

    /// What identifies one version of a file cheaply: modification time and size.
    struct Stamp: Equatable, Sendable {
        let modifiedSeconds: Int
        let modifiedNanoseconds: Int
        let size: Int
    }

    let text: String
    let stamp: Stamp
    /// SHA-256 (lowercase hex) of the bytes.
    let digest: String

    /// The stamp of `path` without reading it, or an `.io` error.
    static func stamp(_ path: String) throws(AccessError) -> Stamp {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw AccessError(.io, "policy file '\(path)' cannot be read: \(String(cString: strerror(errno)))")
        }
        return Stamp(modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec), size: Int(info.st_size))
    }

    /// Reads `path`, refusing anything but a regular UTF-8 file of at most ``maxBytes``.
    static func read(_ path: String) throws(AccessError) -> PolicyFile {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AccessError(.io, "policy file '\(path)' cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw AccessError(.io, "policy file '\(path)' cannot be examined") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw AccessError(.io, "policy file '\(path)' is not a regular file") }
        guard Int(info.st_size) <= maxBytes else {
            throw AccessError(.io, "policy file '\(path)' is \(info.st_size) bytes; at most \(maxBytes) are read")
        }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw AccessError(.io, "policy file '\(path)' cannot be read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= maxBytes else { throw AccessError(.io, "policy file '\(path)' grew past \(maxBytes) bytes while read") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AccessError(.malformed, "policy file '\(path)' is not UTF-8 text")
        }
        let stamp = Stamp(modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec), size: Int(info.st_size))
        return PolicyFile(text: text, stamp: stamp, digest: sha256Hex(Array(text.utf8)))
    }

    /// SHA-256 of `bytes` as lowercase hex.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
