import BulwarkArchive
import Foundation
import BulwarkReport
import Testing
@testable import BulwarkSupplyChain

/// The OASIS SARIF 2.1.0 schema from Fixtures/scan/sarif (get_sarif_schema.sh fetches it).
private func sarifValidator() throws -> JSONSchemaValidator {
    let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return try JSONSchemaValidator(directory: url.appendingPathComponent("scan/sarif").path, root: "sarif-schema-2.1.0.json")
}

private func sarifJSON(_ files: [ScannedFile]) throws -> JSONValue {
    try JSONParser.parse(Array(try SARIF.render(SARIF.log(scannedFiles: files, toolVersion: "1.0.0", commandLine: "bulwark scan", workingDirectory: "/work/tree"))), maxDepth: 256)
}

@Test func scanSarifLogValidatesAgainstTheSarif210Schema() async throws {
    let folder = try ScanFixtures.path("")
    let files = await ArtifactScanner().scan(paths: [folder], jobs: 2)
    #expect(files.contains { $0.verdict == .malicious } && files.contains { $0.verdict == .clean } && files.contains { $0.verdict == .unsupported })
    let log = try sarifJSON(files)
    let errors = try sarifValidator().errors(log)
    #expect(errors.isEmpty, "\(errors.prefix(10))")
    let results = log["runs"]?.arrayValue?.first?["results"]?.arrayValue ?? []
    #expect(results.count == files.reduce(0) { $0 + $1.findings.count + ($1.verdict == .unsupported || $1.verdict == .error ? 1 : 0) })
}

@Test func pathsBecomeURIReferencesAndOffsetsRegions() throws {
    #expect(SARIF.percentEncoded("models/a b%.pt") == "models/a%20b%25.pt")
    let file = ScannedFile(path: "m/x y.pkl", format: "pickle", verdict: .malicious,
                           findings: [ScanFinding(severity: .critical, rule: "pickle.dangerous-callable", detail: "os.system", offset: 7)])
    let log = try sarifJSON([file])
    #expect(try sarifValidator().errors(log).isEmpty)
    let location = log["runs"]?.arrayValue?.first?["results"]?.arrayValue?.first?["locations"]?.arrayValue?.first?["physicalLocation"]
    #expect(location?["artifactLocation"]?["uri"]?.stringValue == "m/x%20y.pkl")
    #expect(location?["artifactLocation"]?["uriBaseId"]?.stringValue == "SRCROOT")
    #expect(location?["region"]?["byteOffset"] == .number("7"))
    // Paths under the working directory are relative to SRCROOT; others are absolute file URIs.
    let inside = try sarifJSON([ScannedFile(path: "/work/tree/a/b.pkl", format: "pickle", verdict: .clean, findings: [
        ScanFinding(severity: .low, rule: "r", detail: "d", offset: nil)])])
    let outside = try sarifJSON([ScannedFile(path: "/elsewhere/b.pkl", format: "pickle", verdict: .clean, findings: [
        ScanFinding(severity: .low, rule: "r", detail: "d", offset: nil)])])
    func uri(_ log: JSONValue) -> String? {
        log["runs"]?.arrayValue?.first?["results"]?.arrayValue?.first?["locations"]?.arrayValue?.first?["physicalLocation"]?["artifactLocation"]?["uri"]?.stringValue
    }
    #expect(uri(inside) == "a/b.pkl" && uri(outside) == "file:///elsewhere/b.pkl")
    #expect(inside["runs"]?.arrayValue?.first?["originalUriBaseIds"]?["SRCROOT"]?["uri"]?.stringValue == "file:///work/tree/")
    #expect(try sarifValidator().errors(inside).isEmpty && sarifValidator().errors(outside).isEmpty)
}

@Test func schemaRejectsWhatSarifForbids() throws {
    let validator = try sarifValidator()
    let good = try sarifJSON([ScannedFile(path: "a", format: "pickle", verdict: .suspicious, findings: [ScanFinding(severity: .medium, rule: "r", detail: "d", offset: nil)])])
    #expect(validator.errors(good).isEmpty)
    // A level outside none/note/warning/error, a missing version, a byte offset below -1.
    let bad = [
        #"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}"#,
        #"{"runs":[{"tool":{"driver":{"name":"x"}}}]}"#,
        #"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a"},"region":{"byteOffset":-2}}}]}]}]}"#,
    ]
    for text in bad { #expect(!validator.errors(try JSONParser.parse(Array(text.utf8))).isEmpty, "\(text)") }
}

@Test func committedCorpusLogIsValidForThisValidatorToo() throws {
    // bulwark-corpus.sarif was validated with Python jsonschema by get_sarif_schema.sh.
    let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("scan/sarif/bulwark-corpus.sarif")
    let log = try JSONParser.parse(Array(try Data(contentsOf: url)), maxDepth: 256)
    #expect(try sarifValidator().errors(log).isEmpty)
}

/// The report's SARIF goes through the same writer and validates too; rule ids do not change
/// with an attack's parameters, which go in the result's properties.
@Test func reportSarifValidatesAndRuleIDsAreStableAcrossOptions() throws {
    func finding(_ technique: String, artifact: String?) -> Finding {
        Finding(id: "evasion.x", threat: .evasion, technique: technique, atlasID: ATLAS.whiteBoxOptimization,
                owaspID: OWASPML.inputManipulation, severity: .high, title: "t", detail: "d",
                metrics: [Metric("robust_accuracy", 0.25, unit: "fraction"), Metric("odd", .nan)], artifact: artifact, reproduce: "r")
    }
    let ten = finding("PGD (L∞, 10 steps)", artifact: "/work/tree/models/m.safetensors")
    let forty = finding("PGD (L2, 40 steps)", artifact: "/other/m.safetensors")
    #expect(SARIF.ruleID(ten) == "evasion/pgd" && SARIF.ruleID(forty) == "evasion/pgd")
    #expect(SARIF.ruleID(finding("Worst case over 3 attacks (L∞)", artifact: nil)) == "evasion/worst-case-over-attacks")
    let report = Report(title: "t", toolVersion: "1.0.0", command: "bulwark evaluate", seed: 0, findings: [ten, forty])
    let log = try JSONParser.parse(Array(try SARIF.render(SARIF.log(report, workingDirectory: "/work/tree"))), maxDepth: 256)
    #expect(try sarifValidator().errors(log).isEmpty)
    let run = log["runs"]?.arrayValue?.first
    #expect(run?["tool"]?["driver"]?["rules"]?.arrayValue?.count == 1)
    let results = run?["results"]?.arrayValue ?? []
    #expect(results.compactMap { $0["properties"]?["technique"]?.stringValue }.sorted() == ["PGD (L2, 40 steps)", "PGD (L∞, 10 steps)"])
    let uris = results.compactMap { $0["locations"]?.arrayValue?.first?["physicalLocation"]?["artifactLocation"]?["uri"]?.stringValue }
    #expect(Set(uris) == ["models/m.safetensors", "file:///other/m.safetensors"])
}
