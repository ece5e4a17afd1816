import BulwarkArchive
import Foundation

/// Whole-file reads with a size bound, and atomic writes.
enum FileIO {
    /// The bytes of the file at `path`, refusing files above `maxBytes`.
    static func read(_ path: String, maxBytes: Int) throws(DataError) -> [UInt8] {
        do {
            let source = try FileSource(path: path)
            guard source.size <= maxBytes else {
                throw DataError(.limitExceeded, "\(path): file of \(source.size) bytes exceeds the limit of \(maxBytes) bytes")
            }
            return try source.read(offset: 0, count: source.size)
        } catch let error as ArchiveError {
            throw DataError(error.code == .limitExceeded ? .limitExceeded : .io, error.message, underlying: error)
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(.io, "\(path): \(error)", underlying: error)
        }
    }

    /// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
    /// so an existing file is replaced whole or not at all.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(DataError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DataError(.io, "\(path): cannot write (\(error.localizedDescription))", underlying: error)
        }
    }
}

extension DataError {
    /// Converts an archive error, keeping its message and the error itself as the cause.
    init(_ error: ArchiveError) {
        let code: Code = switch error.code {
        case .io: .io
        case .limitExceeded: .limitExceeded
        case .unsupported, .encrypted: .unsupported
        default: .malformed  // .truncated, .malformed, .checksumMismatch, and codes added later
        }
        self.init(code, error.message, underlying: error)
    }
}
