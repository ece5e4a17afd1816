import BulwarkArchive
import BulwarkData

/// Counts the records of a data file by its extension, reading only what it must.
///
/// | extension | records |
/// | --- | --- |
/// | `.npy` | first axis of the array (header only) |
/// | `.npz` | first axis of the inputs array (key `x`, `X`, `inputs`, `data`, or the only array), else of the first array by name |
/// | `.csv` | rows after the header |
/// | IDX (`-ubyte`, `.idx`, with or without `.gz`) | first dimension |
/// | `.png`, `.jpg`, `.jpeg` | 1 (an image folder counts its images) |
///
/// Anything else, or a file that does not parse, has no count (nil): the digest still covers it.
enum RecordCounter {
    static func count(path: String, source: FileSource) -> Int? {
        let name = path.lowercased()
        if name.hasSuffix(".png") || name.hasSuffix(".jpg") || name.hasSuffix(".jpeg") { return 1 }
        if name.hasSuffix(".npy") {
            guard let head = try? source.read(offset: 0, count: min(source.size, NPY.maxHeaderBytes + 16)),
                  let header = try? NPYHeader(prefix: head, maxHeaderBytes: NPY.maxHeaderBytes) else { return nil }
            return header.shape.first ?? 1
        }
        if name.hasSuffix(".npz") {
            guard let arrays = try? NPZ.read(path: path) else { return nil }
            let key = ArrayFiles.inputKeys.first { arrays[$0] != nil } ?? arrays.keys.sorted().first
            return key.flatMap { arrays[$0]?.shape.first }
        }
        if name.hasSuffix(".csv") {
            guard let bytes = try? source.read(offset: 0, count: source.size),
                  let table = try? CSV.parse(bytes, label: path) else { return nil }
            return max(0, table.records.count - 1)
        }
        if name.hasSuffix("-ubyte") || name.hasSuffix("-ubyte.gz") || name.hasSuffix(".idx") || name.hasSuffix(".idx.gz") {
            guard let array = try? IDX.read(path: path) else { return nil }
            return array.shape.first
        }
        return nil
    }
}
