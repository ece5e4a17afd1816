import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark data manifest`: digests, record counts and a Merkle root of data files.
struct DataManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Record each data file's SHA-256, size and record count under a Merkle root (sign the JSON with `bulwark sign`).",
        discussion: """
        One directory is walked recursively in byte order of its paths (entries relative to it, so \
        added files are noticed later); files are recorded by the paths given. Symbolic links are \
        refused. Leaves and nodes are hashed as RFC 6962 does (0x00 / 0x01 prefixes).
        """
    )

    @Argument(help: "A data directory, or data files.")
    var paths: [String]

    @Option(help: "Where to write the manifest (JSON); not inside the directory it describes.")
    var out: String

    @Flag(help: "Print one JSON object (a summary) on stdout instead of text.")
    var json = false

    func run() throws {
        try refuseOverwrite(out, inputs: paths, trees: paths, role: "--out")
        let started = Date()
        let manifest = try DataManifest.make(paths: paths)
        try manifest.write(to: out)
        let seconds = Date().timeIntervalSince(started)
        let bytes = manifest.files.reduce(0) { $0 + $1.size }
        if json {
            try printJSON(ManifestSummary(out: out, mode: manifest.mode.rawValue, files: manifest.files.count, bytes: bytes,
                                          records: manifest.totalRecords, root: manifest.root, seconds: seconds))
            return
        }
        print("Manifest of \(manifest.files.count) file(s), \(bytes) bytes, \(manifest.totalRecords) records in \(String(format: "%.2f", seconds)) s")
        for entry in manifest.files {
            print("  \(entry.sha256.prefix(16))…  \(entry.size) B  \(entry.records.map { "\($0) records" } ?? "-")  \(entry.path)")
        }
        print("Root: \(manifest.root)")
        print("Manifest: \(out)")
    }
}

/// What `data manifest --json` prints.
struct ManifestSummary: Encodable {
    var out: String, mode: String, files: Int, bytes: Int, records: Int, root: String, seconds: Double
}
