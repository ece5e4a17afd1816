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
            throw DataError(error.code == .limitExceeded ? .limitExceeded : .io, error.message)
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(.io, "\(path): \(error)")
        }
    }

    /// Writes `bytes` to `path` through a temporary file in the same directory and a rename,
    /// so an existing file is replaced whole or not at all.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(DataError) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DataError(.io, "\(path): cannot write (\(error.localizedDescription))")
        }
    }
}

extension DataError {
    /// Converts an archive error, keeping its message.
    init(_ error: ArchiveError) {
        switch error.code {
        case .io: self.init(.io, error.message)
        case .limitExceeded: self.init(.limitExceeded, error.message)
        case .unsupported, .encrypted: self.init(.unsupported, error.message)
        case .truncated, .malformed, .checksumMismatch: self.init(.malformed, error.message)
        }
    }
}
