import Foundation
import Testing
@testable import BulwarkSupplyChain

/// One row of Fixtures/scan/corpus/expected.tsv (written by the corpus generators, see
/// Fixtures/scan/expected_tsv.py): a corpus file and what the scanner must say about it.
struct CorpusRow: Sendable, CustomTestStringConvertible {
    /// Path relative to the corpus folder, e.g. `malicious/gadget_main_os_system.pkl`.
    var path: String
    /// `malicious`, `high` (malformed: a finding of severity high or worse), `clean` (benign) or
    /// `unsupported` (benign the scanner may not fully analyse; the note says why).
    var expect: String
    /// Rule family the deciding finding must belong to (`pickle`, `keras`, `gguf`, …), or `-`.
    var rule: String
    /// Why the file is in the corpus.
    var note: String
    var testDescription: String { path }
}

/// The committed corpus (Fixtures/scan/corpus, made by Fixtures/scan/setup_corpus.sh).
enum ScanCorpus {
    static let root: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?
        .appendingPathComponent("scan/corpus").path ?? "Fixtures/scan/corpus"

    /// The manifest rows; empty when expected.tsv cannot be read (the manifest test then fails).
    static let rows: [CorpusRow] = {
        guard let text = try? String(contentsOfFile: root + "/expected.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return f.count == 4 ? CorpusRow(path: f[0], expect: f[1], rule: f[2], note: f[3]) : nil
        }
    }()
    static let malicious = rows.filter { $0.path.hasPrefix("malicious/") }
    static let benign = rows.filter { $0.path.hasPrefix("benign/") }

    /// Every regular file under malicious/ and benign/, relative to the corpus folder.
    static func files() -> [String] {
        var out: [String] = []
        for top in ["malicious", "benign"] {
            guard let e = FileManager.default.enumerator(atPath: root + "/" + top) else { continue }
            while let rel = e.nextObject() as? String {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + top + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                    out.append(top + "/" + rel)
                }
            }
        }
        return out.sorted()
    }

    static func scan(_ row: CorpusRow) -> ScannedFile { ArtifactScanner().scanFile(path: root + "/" + row.path) }

    static func describe(_ f: ScannedFile) -> String {
        "\(f.verdict.rawValue) [\(f.format)] " + f.findings.prefix(4).map { "\($0.severity.rawValue) \($0.rule): \($0.detail)" }.joined(separator: " | ")
    }

    static func family(_ rule: String, matches finding: ScanFinding) -> Bool {
        rule == "-" || finding.rule == rule || finding.rule.hasPrefix(rule + ".")
    }
}

/// Holds `bulwark scan` to the committed corpus: every malicious file detected at its stated
/// severity, no benign file malicious, at most 5 % of benign files suspicious.
@Suite struct CorpusTests {
    @Test func corpusManifestListsEveryFileExactlyOnce() throws {
        let listed = ScanCorpus.rows.map(\.path)
        #expect(ScanCorpus.malicious.count >= 150, "malicious corpus: \(ScanCorpus.malicious.count) rows")
        #expect(ScanCorpus.benign.count >= 150, "benign corpus: \(ScanCorpus.benign.count) rows")
        #expect(Set(listed).count == listed.count, "duplicate rows in expected.tsv")
        let files = ScanCorpus.files()
        #expect(Set(files).subtracting(listed).sorted() == [], "corpus files without a row in expected.tsv")
        #expect(Set(listed).subtracting(files).sorted() == [], "expected.tsv rows without a file")
        for row in ScanCorpus.rows {
            #expect(["malicious", "high", "clean", "unsupported"].contains(row.expect), "\(row.path): unknown expectation '\(row.expect)'")
            if row.expect == "unsupported" { #expect(!row.note.isEmpty, "\(row.path): unsupported needs a reason") }
            if row.path.hasPrefix("malicious/") { #expect(row.expect == "malicious" || row.expect == "high", "\(row.path)") }
            else { #expect(row.expect == "clean" || row.expect == "unsupported", "\(row.path)") }
        }
    }

    @Test(arguments: ScanCorpus.malicious)
    func maliciousCorpusFileIsDetected(row: CorpusRow) {
        let f = ScanCorpus.scan(row)
        switch row.expect {
        case "malicious":
            #expect(f.verdict == .malicious && f.findings.contains { $0.severity == .critical && ScanCorpus.family(row.rule, matches: $0) },
                    "\(row.path) (\(row.note)): expected malicious via \(row.rule), got \(ScanCorpus.describe(f))")
        default:  // "high": malformed or hostile structure, never clean
            #expect(f.findings.contains { $0.severity >= .high && ScanCorpus.family(row.rule, matches: $0) },
                    "\(row.path) (\(row.note)): expected a \(row.rule) finding of severity high or worse, got \(ScanCorpus.describe(f))")
        }
    }

    @Test(arguments: ScanCorpus.benign)
    func benignCorpusFileIsNeverMaliciousNorUnexplainedUnsupported(row: CorpusRow) {
        let f = ScanCorpus.scan(row)
        #expect(f.verdict != .malicious && f.verdict != .error, "\(row.path): \(ScanCorpus.describe(f))")
        if row.expect != "unsupported" {
            #expect(f.verdict != .unsupported, "\(row.path): unsupported but expected.tsv says \(row.expect): \(ScanCorpus.describe(f))")
        }
    }

    @Test func benignCorpusIsAtMostFivePercentSuspicious() async {
        let scanned = await ArtifactScanner().scan(paths: [ScanCorpus.root + "/benign"], jobs: 2)
        let suspicious = scanned.filter { $0.verdict == .suspicious }
        #expect(scanned.count == ScanCorpus.benign.count)
        let names: [String] = suspicious.map { f in
            let rule: String = f.findings.first?.rule ?? ""
            return "\(f.path.split(separator: "/").last ?? "") (\(rule))"
        }
        #expect(!scanned.isEmpty && suspicious.count * 100 <= scanned.count * 5,
                "\(suspicious.count) of \(scanned.count) benign files suspicious: \(names.joined(separator: ", "))")
    }
}
