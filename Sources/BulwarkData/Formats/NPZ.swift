public import BulwarkArchive

/// NumPy `.npz` archives: a ZIP of `.npy` files, one per named array.
///
/// Reading accepts stored and deflated entries (`numpy.savez` and `numpy.savez_compressed`)
/// through ``BulwarkArchive``; an archive with any structural issue (traversal, overlap,
/// lying sizes, duplicates…) is refused as a whole. Writing produces a stored archive like
/// `numpy.savez`.
///
/// ```swift
/// let arrays = try NPZ.read(path: "data.npz")      // ["x": NDArray, "y": NDArray]
/// let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), y = [0, 1]
/// try NPZ.write([("x", NDArray(x)), ("y", NDArray(labels: y))], path: "out.npz")
/// ```
public enum NPZ {
    /// Reads every array of the archive in `source`, keyed by name without `.npy`.
    /// - Parameter maxArrayBytes: the largest uncompressed `.npy` entry accepted.
    public static func decode(_ source: any RandomAccessSource, maxArrayBytes: Int = 4 << 30) throws(DataError) -> [String: NDArray] {
        let zip: ZipArchive
        do {
            zip = try ZipArchive(source: source)
        } catch {
            throw DataError(error)
        }
        if let issue = zip.issues.first {
            throw DataError(.malformed, "\(source.name): refusing archive with structural issue (\(issue))")
        }
        var arrays: [String: NDArray] = [:]
        for entry in zip.entries where !entry.isDirectory {
            guard entry.name.hasSuffix(".npy") else {
                throw DataError(.malformed, "\(source.name): entry '\(entry.name)' is not an .npy file")
            }
            let name = String(entry.name.dropLast(4))
            let bytes: [UInt8]
            do {
                bytes = try zip.read(entry, maxBytes: maxArrayBytes)
            } catch {
                throw DataError(error)
            }
            arrays[name] = try NPY.decode(bytes, label: "\(source.name): entry '\(entry.name)'")
        }
        return arrays
    }

    /// Reads the `.npz` file at `path`; only the bytes of its entries are read.
    public static func read(path: String, maxArrayBytes: Int = 4 << 30) throws(DataError) -> [String: NDArray] {
        let source: FileSource
        do {
            source = try FileSource(path: path)
        } catch {
            throw DataError(error)
        }
        return try decode(source, maxArrayBytes: maxArrayBytes)
    }

    /// The bytes of a stored `.npz` archive holding `arrays` in order (entry `name.npy`).
    /// - Throws: ``DataError`` for duplicate or empty names, or archives of 4 GiB or more.
    public static func encode(_ arrays: [(name: String, array: NDArray)]) throws(DataError) -> [UInt8] {
        do {
            return try StoredZipWriter.archive(arrays.map { ($0.name + ".npy", NPY.encode($0.array)) })
        } catch {
            throw DataError(error)
        }
    }

    /// Writes `arrays` to `path` atomically (temporary file, then rename).
    public static func write(_ arrays: [(name: String, array: NDArray)], path: String) throws(DataError) {
        try FileIO.writeAtomically(encode(arrays), to: path)
    }
}
