import BulwarkArchive
import Foundation
import Testing
@testable import BulwarkReport

@Suite struct ReportTests {
    func sample() -> Report {
        let f1 = Finding(id: "evasion.pgd.linf.0.1", threat: .evasion, technique: "PGD (L∞)", atlasID: ATLAS.whiteBoxOptimization,
                         owaspID: OWASPML.inputManipulation, severity: .high, title: "Robust accuracy 3% at ε = 0.1 <script>",
                         detail: "PGD flips 96% of correct predictions.", metrics: [Metric("robust_accuracy", 0.03, unit: "fraction")],
                         artifact: "models/cnn model.safetensors", reproduce: "bulwark evaluate --attack pgd --eps 0.1")
        let f2 = Finding(id: "evasion.fgsm.linf.0.1", threat: .evasion, technique: "FGSM", atlasID: ATLAS.whiteBoxOptimization,
                         owaspID: OWASPML.inputManipulation, severity: .medium, title: "FGSM", detail: "d",
                         reproduce: "bulwark evaluate", reliability: .unreliable(reasons: ["iterative attack weaker than single-step"]))
        let chart = LineChart(title: "Accuracy vs ε", xLabel: "ε", yLabel: "accuracy",
                              series: [.init(name: "PGD", points: [.init(0, 0.9), .init(0.1, 0.03)])], yRange: 0...1)
        let img = GrayImage(width: 2, height: 2, values: [0, 0.5, 1, 2], caption: "x")
        return Report(title: "Assessment", toolVersion: "0.1.0", command: "bulwark assess", seed: 7, parameters: ["eps": "0.1"],
                      findings: [f2, f1],
                      sections: [Section(title: "Evasion", charts: [chart], tables: [Table(title: "t", columns: ["a"], rows: [["1"]])],
                                         imageGrids: [ImageGrid(title: "examples", columns: ["orig"], rows: [.init(images: [img])])])])
    }

    @Test func htmlIsSelfContainedAndEscaped() {
        let html = HTML.render(sample())
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("<link"))
        #expect(html.contains("<svg"))
        #expect(html.contains("data:image/png;base64,"))
        #expect(html.contains("Unreliable:"))
        // most severe first
        let high = html.range(of: "Robust accuracy 3%")!.lowerBound, medium = html.range(of: ">FGSM<")!.lowerBound
        #expect(high < medium)
    }

    @Test func notCheckedFiguresSaySoInEveryRendering() throws {
        var r = sample()
        r.findings = DefenceFindings.markNotChecked(r.findings, reason: "the checklist did not run")
        // The reliable PGD figure becomes not checked; the unreliable FGSM figure stays unreliable.
        #expect(r.findings.first { $0.id == "evasion.pgd.linf.0.1" }?.reliability == .notChecked(reason: "the checklist did not run"))
        #expect(r.findings.first { $0.id == "evasion.fgsm.linf.0.1" }?.reliability.label == "unreliable")
        let html = HTML.render(r)
        #expect(html.contains("<strong>Not checked:</strong> the checklist did not run"))
        #expect(html.contains("</span>not checked</div>"))
        let json = String(decoding: try ReportWriter.json(r), as: UTF8.self)
        #expect(json.contains("notChecked") && json.contains("the checklist did not run"))
        let back = try JSONDecoder().decode(Report.self, from: try ReportWriter.json(r))
        #expect(back.findings == r.findings)
        let sarif = String(decoding: try SARIF.render(r), as: UTF8.self)
        #expect(sarif.contains("NOT CHECKED: the checklist did not run"))
        // Other threats are never touched.
        let scan = Finding(id: "s", threat: .supplyChain, technique: "t", atlasID: ATLAS.supplyChainModel, owaspID: OWASPML.supplyChain,
                           severity: .info, title: "t", detail: "d", reproduce: "")
        #expect(DefenceFindings.markNotChecked([scan], reason: "x") == [scan])
    }

    @Test func chartKeepsCoincidentCurvesApartAndDrawsMarkersOnlyAtMeasuredPoints() {
        let points = [LineChart.Point(0, 0.9), .init(0.05, 0.4), .init(0.1, 0.1)]
        let chart = LineChart(title: "t", xLabel: "ε", yLabel: "accuracy",
                              series: [.init(name: "FGSM", points: points), .init(name: "PGD", points: points),
                                       .init(name: "chance", points: [.init(0, 0), .init(0.1, 1)], reference: true)], yRange: 0...1)
        let svg = SVGChart.render(chart)
        func count(_ needle: String) -> Int { svg.components(separatedBy: needle).count - 1 }
        // One marker per measured point (plus one in each legend entry); none on the reference line.
        #expect(count("<circle") == 3 + 1)
        #expect(count("<rect x") == 3 + 1)
        #expect(count("<title>FGSM") == 3 && count("<title>PGD") == 3 && count("<title>chance") == 0)
        // The second curve is dashed, in another colour, with smaller markers: both stay visible.
        #expect(svg.contains("stroke=\"#dc2626\" stroke-width=\"2\" stroke-dasharray=\"7 3\""))
        #expect(svg.contains("stroke-dasharray=\"4 4\"") && svg.contains("chance (reference)"))
        let decoded = try? JSONDecoder().decode(LineChart.Series.self, from: Data(#"{"name":"old","points":[]}"#.utf8))
        #expect(decoded?.reference == false)
    }

    @Test func pngIsWellFormed() throws {
        let img = GrayImage(width: 3, height: 2, values: [0, 0.25, 0.5, 0.75, 1, 1], caption: "")
        let png = PNG.encode(img, scale: 2)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(Array(png[16..<24]) == [0, 0, 0, 6, 0, 0, 0, 4])  // 6×4 after scaling
        #expect(Array(png.suffix(12).prefix(8)) == [0, 0, 0, 0] + Array("IEND".utf8))
        #expect(img.pixels == [0, 64, 128, 191, 255, 255])
        // Every chunk's CRC holds, and the IDAT inflates to the scaled rows, each after filter byte 0.
        var at = 8
        var idat: [UInt8] = []
        while at + 12 <= png.count {
            let n = png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            let typeAndData = Array(png[(at + 4)..<(at + 8 + n)])
            let stored = png[(at + 8 + n)..<(at + 12 + n)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(CRC32.checksum(typeAndData) == stored)
            if typeAndData.prefix(4).elementsEqual("IDAT".utf8) { idat += typeAndData.dropFirst(4) }
            at += 12 + n
        }
        #expect(at == png.count)
        let raw = try Compression.decompress(idat, as: .zlib, limits: DecompressionLimits(), label: "IDAT")
        let row0: [UInt8] = [0, 0, 0, 64, 64, 128, 128], row2: [UInt8] = [0, 191, 191, 255, 255, 255, 255]
        #expect(raw == row0 + row0 + row2 + row2)
    }

    @Test func jsonRoundTrips() throws {
        let r = sample()
        let data = try ReportWriter.json(r)
        let back = try JSONDecoder().decode(Report.self, from: data)
        #expect(back.findings == r.findings)
        #expect(back.sections[0].imageGrids[0].rows[0].images == r.sections[0].imageGrids[0].rows[0].images)
        #expect(back.seed == 7)
    }

    @Test func sarifHasRulesResultsAndLevels() throws {
        let data = try SARIF.render(sample())
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(obj["version"] as? String == "2.1.0")
        let run = try #require((obj["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 2)
        #expect(results.map { $0["level"] as? String } == ["error", "warning"])
        let rules = try #require((run["tool"] as? [String: Any]).flatMap { $0["driver"] as? [String: Any] }?["rules"] as? [[String: Any]])
        #expect(rules.count == 2)
        for r in results { #expect((r["ruleIndex"] as? Int).map { $0 < rules.count } == true) }
        let loc = try #require((results[0]["locations"] as? [[String: Any]])?.first)
        let uri = ((loc["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any])?["uri"] as? String
        #expect(uri == "models/cnn%20model.safetensors")
    }

    @Test func writerWritesThreeFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try ReportWriter.write(sample(), to: dir)
        #expect(files.map(\.lastPathComponent) == ["index.html", "report.json", "report.sarif"])
        for f in files { #expect(((try? Data(contentsOf: f))?.count ?? 0) > 100) }
    }
}
