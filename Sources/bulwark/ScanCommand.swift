import ArgumentParser
import BulwarkArchive
import BulwarkReport
import BulwarkSupplyChain
import Foundation

/// `bulwark scan`: static scan of model artifacts for code-execution payloads.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan model artifacts (pickle, PyTorch, joblib, NPY/NPZ, Keras, ONNX, safetensors, GGUF) without loading them.",
        discussion: """
        Exit status: 0 every file clean, 1 findings, 2 error while scanning (or a missing path or \
        unreadable policy), 3 some file could not be analysed (unsupported, no findings elsewhere), \
        64 usage error — the table every command shares (bulwark --help). A file Bulwark cannot analyse is 'unsupported' (with \
        its reason), never clean. Compressed streams (gzip, bzip2, xz, lzma, lz4, zstd, zlib), \
        zips (also behind leading bytes) and tars are opened, nested ones too, within size and \
        ratio limits.
        """
    )

    @Argument(help: "Files or directories (scanned recursively).")
    var paths: [String] = []

    @Option(help: "Output format.")
    var format: ScanFormat = .text

    @Flag(help: "Print JSON (the same as --format json).")
    var json = false

    @Option(help: "Extra policy file (lines '<safe|dangerous> <module> <name|*> [reason]') merged over the built-in one: its lines take precedence, so it can allow (safe) or forbid (dangerous) callables.")
    var policy: String?

    @Flag(help: "Show the policy line or built-in check behind each finding.")
    var explain = false

    @Flag(name: .customLong("follow-symlinks"), help: "Follow symbolic links to directories (cycles are detected by device and inode). Links to files are always scanned.")
    var followSymlinks = false

    @Option(parsing: .unconditional, help: "Files scanned in parallel.")
    var jobs: Int = 4

    func run() async throws {
        guard !paths.isEmpty else { Terminal.note("error: give at least one PATH"); throw ExitCode(ExitStatus.usage) }
        guard jobs >= 1 && jobs <= 256 else { Terminal.note("error: --jobs must be 1…256"); throw ExitCode(ExitStatus.usage) }
        var p = ScanPolicy.default
        if let file = policy {
            let bytes: [UInt8]
            do { bytes = try FileChecks.readRegularFile(file, maxBytes: 16 << 20) } catch { Terminal.note("error: cannot read policy file: \(error.message)"); throw ExitCode(ExitStatus.error) }
            let text = String(decoding: bytes, as: UTF8.self)
            do { try p.merge(text: text, source: file) } catch { Terminal.note("error: \(error.message)"); throw ExitCode(ExitStatus.error) }
        }
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            Terminal.note("error: no such file or directory '\(path)'"); throw ExitCode(ExitStatus.error)
        }
        var scanner = ArtifactScanner(policy: p)
        scanner.followSymlinks = followSymlinks
        var files = await scanner.scan(paths: paths, jobs: jobs)
        if !explain {
            for i in files.indices { for j in files[i].findings.indices { files[i].findings[j].explanation = nil } }
        }
        switch json ? .json : format {
        case .json: try render(JSONReport(files: files))
        case .sarif:
            let command = quotedCommandLine()
            print(String(decoding: try SARIF.render(SARIF.log(scannedFiles: files, toolVersion: Bulwark.configuration.version,
                                                              commandLine: command)), as: UTF8.self))
        case .text:
            for f in files {
                print("\(f.verdict.rawValue.uppercased())  \(f.path)  [\(f.format)]\(f.reason.map { "  (\($0))" } ?? "")")
                for x in f.findings.prefix(50) {
                    print("  \(x.severity.rawValue)  \(x.rule)  \(x.detail)\(x.offset.map { " @\($0)" } ?? "")")
                    if let why = x.explanation { print("      rule: \(why)") }
                }
                if f.findings.count > 50 { print("  … \(f.findings.count - 50) more") }
            }
            let counts = Dictionary(grouping: files, by: \.verdict).mapValues(\.count)
            print("\(files.count) files: " + ScanVerdict.allOrdered.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
        }
        throw ExitCode(Self.exitCode(files))
    }

    static func exitCode(_ files: [ScannedFile]) -> Int32 {
        if files.contains(where: { $0.verdict == .error }) { return ExitStatus.error }
        if files.contains(where: { $0.verdict == .malicious || $0.verdict == .suspicious }) { return ExitStatus.findings }
        if files.contains(where: { $0.verdict == .unsupported }) { return ExitStatus.incomplete }
        return ExitStatus.ok
    }

    private func render<T: Encodable>(_ value: T) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try e.encode(value), as: UTF8.self))
    }
}

extension ScanVerdict {
    static let allOrdered: [ScanVerdict] = [.malicious, .suspicious, .clean, .unsupported, .error]
}

private struct JSONReport: Encodable { var files: [ScannedFile] }
