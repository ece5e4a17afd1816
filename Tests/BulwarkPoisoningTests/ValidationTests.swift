import BulwarkData
import BulwarkTensor
import Foundation
import Testing

@testable import BulwarkPoisoning

/// Four examples of two features; example 3 repeats example 1 with another label.
private func tiny() throws -> ValidationExamples {
    try ValidationExamples(values: [0, 1, 0.5, 1, 1, 0, 0.5, 1], exampleShape: [2], labels: [0, 1, 1, 2])
}

@Test func validationProfileKnownAnswers() throws {
    let profile = try DatasetProfile.make(try tiny(), options: ProfileOptions(histogramBins: 2, validRange: 0...1))
    #expect(profile.count == 4)
    #expect(profile.exampleShape == [2])
    #expect(profile.axis == .feature)
    let f0 = profile.features[0], f1 = profile.features[1]
    // feature 0: 0, 0.5, 1, 0.5 → mean 0.5, population std √0.125; bins [0, 0.5), [0.5, 1]
    #expect(f0.min == 0 && f0.max == 1 && f0.mean == 0.5)
    #expect(abs(f0.std - 0.125.squareRoot()) < 1e-12)
    #expect(f0.histogram.counts == [1, 3])
    // feature 1: 1, 1, 0, 1 → mean 0.75, std √(0.1875)
    #expect(f1.mean == 0.75 && abs(f1.std - 0.1875.squareRoot()) < 1e-12)
    #expect(f1.histogram.counts == [1, 3])
    #expect(profile.labels.counts == [1, 2, 1])
    #expect(profile.duplicates.exactGroups == [[1, 3]])
    #expect(profile.duplicates.conflictingLabelGroups == [[1, 3]])
    #expect(profile.duplicates.nearPairCount == 0)  // the identical pair is exact, not near
    #expect(profile.corrupt == CorruptRecords(nonFinite: [], outOfRange: []))
}

@Test func validationProfileCorruptRecordsAndChannels() throws {
    let values: [Float] = [0, 0.5, 1, 0.25, 0.1, 0.2, 0.3, 0.4, .nan, 0, 0, 0, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 0, 0, 0]
    let x = try ValidationExamples(values: values, exampleShape: [2, 2, 2], labels: [0, 1, 0])
    let profile = try DatasetProfile.make(x)
    #expect(profile.axis == .channel)
    #expect(profile.features.count == 2)
    #expect(profile.features[0].nonFinite == 1)
    #expect(profile.features[1].histogram.total == 12)
    #expect(abs(profile.features[1].mean - 1.0 / 12) < 1e-6)  // 0.1+0.2+0.3+0.4 over 12 values
    #expect(profile.corrupt == CorruptRecords(nonFinite: [1], outOfRange: [2]))
    let report = try DataCheck.run(x)
    #expect(report.findings.map(\.kind).prefix(2).sorted { $0.rawValue < $1.rawValue } == [.invalidValue, .nonFinite])
    #expect(report.flaggedIndices == [1, 2])
    #expect(report.worstSeverity == .high)
}

/// `count` seeded examples of `d` values drawn uniformly from [low, high], labels cycling over `classes`.
private func uniformExamples(_ count: Int, _ d: Int, seed: UInt64, low: Float = 0, high: Float = 1, classes: Int = 4) throws -> ValidationExamples {
    var rng = SeededGenerator(seed: seed)
    let values = Tensor.uniform([count, d], low: low, high: high, using: &rng).scalars
    return try ValidationExamples(values: values, exampleShape: [d], labels: (0..<count).map { $0 % classes }, classCount: classes)
}

@Test func validationNearDuplicateFindsPlantedPair() throws {
    let base = try uniformExamples(3000, 64, seed: 1)
    var values = base.values
    var rng = SeededGenerator(seed: 2)
    for k in 0..<64 { values[2500 * 64 + k] = min(1, max(0, values[17 * 64 + k] + (rng.nextUniform() - 0.5) * 0.02)) }  // ±0.01
    for k in 0..<64 { values[2600 * 64 + k] = values[40 * 64 + k] }  // an exact copy
    let x = try ValidationExamples(values: values, exampleShape: [64], labels: base.labels)
    let started = Date()
    let profile = try DatasetProfile.make(x)
    #expect(Date().timeIntervalSince(started) < 5)
    #expect(profile.duplicates.nearPairs.map { [$0.first, $0.second] } == [[17, 2500]])
    #expect(profile.duplicates.nearPairs.first.map { $0.rmsDistance > 0 && $0.rmsDistance <= 0.01 } == true)
    #expect(profile.duplicates.exactGroups == [[40, 2600]])
    #expect(profile.duplicates.truncatedBuckets == 0)

    // cross-split: a test set holding an exact copy of train[5] and a near copy of train[9]
    var testValues = try uniformExamples(50, 64, seed: 3).values
    for k in 0..<64 {
        testValues[10 * 64 + k] = values[5 * 64 + k]
        testValues[20 * 64 + k] = values[9 * 64 + k] + 0.005
    }
    let test = try ValidationExamples(values: testValues, exampleShape: [64], labels: Array(repeating: 0, count: 50), classCount: 4)
    let crossed = try DatasetProfile.make(x, test: test)
    #expect(crossed.duplicates.crossSplitExactCount == 1)
    #expect(crossed.duplicates.crossSplitNearCount == 1)
    #expect(crossed.duplicates.crossSplitPairs.map { [$0.first, $0.second] } == [[5, 10], [9, 20]])
}

@Test func validationShiftFlagsShiftedCopyNotIIDSplit() throws {
    let reference = try DatasetProfile.make(try uniformExamples(4000, 16, seed: 10))
    let iid = try DataCheck.run(try uniformExamples(1000, 16, seed: 11), reference: reference)
    #expect(!iid.findings.contains { $0.kind == .distributionShift })
    #expect((iid.scores["max_psi"] ?? 1) < 0.1)
    #expect(iid.findings.isEmpty)

    let shifted = try DataCheck.run(try uniformExamples(1000, 16, seed: 11, low: 0.3, high: 1), reference: reference)
    let finding = try #require(shifted.findings.first { $0.kind == .distributionShift })
    #expect(finding.severity == .high)
    #expect(finding.features == Array(0..<16))
    #expect(finding.message.hasPrefix("distribution shift in 16 feature(s)"))
}

@Test func validationLabelSkewAndOutOfReferenceRange() throws {
    let reference = try DatasetProfile.make(try uniformExamples(4000, 8, seed: 20, low: 0.1, high: 0.9))
    let balanced = try uniformExamples(1000, 8, seed: 21, low: 0.1, high: 0.9)
    let skewedLabels = (0..<1000).map { $0 < 700 ? 0 : $0 % 4 }  // 70 % class 0 (+ some)
    let skewed = try DataCheck.run(try ValidationExamples(values: balanced.values, exampleShape: [8], labels: skewedLabels, classCount: 4),
                                   reference: reference)
    let skew = try #require(skewed.findings.first { $0.kind == .labelSkew })
    #expect(skew.severity == .high)  // TV = 0.7+0.075 − 0.25 = 0.525
    #expect(abs((skewed.scores["label_total_variation"] ?? 0) - 0.525) < 1e-9)

    let newClass = try DataCheck.run(try ValidationExamples(values: balanced.values, exampleShape: [8],
                                                            labels: (0..<1000).map { $0 == 3 ? 5 : $0 % 4 }), reference: reference)
    let unknown = try #require(newClass.findings.first { $0.kind == .labelSkew })
    #expect(unknown.severity == .high && unknown.indices == [3])

    var values = balanced.values
    values[7 * 8 + 2] = 0.99  // inside [0, 1] but above the reference's max ≈ 0.9
    let outside = try DataCheck.run(try ValidationExamples(values: values, exampleShape: [8], labels: balanced.labels, classCount: 4),
                                    reference: reference)
    let range = try #require(outside.findings.first { $0.kind == .outOfRange })
    #expect(range.indices == [7] && range.severity == .medium)
    #expect(outside.flaggedIndices == [7])
}

@Test func validationJSONRoundTrip() throws {
    let x = try uniformExamples(200, 8, seed: 30)
    let profile = try DatasetProfile.make(x, test: try uniformExamples(20, 8, seed: 31))
    #expect(try DatasetProfile.decode(try profile.jsonBytes()) == profile)
    let report = try DataCheck.run(x, reference: profile)
    let encoded = try JSONEncoder().encode(report)
    #expect(try JSONDecoder().decode(DataCheckReport.self, from: encoded) == report)
    let text = String(decoding: encoded, as: UTF8.self)
    #expect(text.contains("\"flagged_indices\""))
}

@Test func validationErrorsAreOneLine() throws {
    let wrongVersion = #expect(throws: PoisoningError.self) {
        var profile = try DatasetProfile.make(try tiny())
        profile.version = 99
        _ = try DatasetProfile.decode(try profile.jsonBytes(), label: "ref.json")
    }
    #expect(wrongVersion?.message == "ref.json: profile version 99 is not supported (this build reads version 1)")
    let bare = #expect(throws: PoisoningError.self) { try DatasetProfile.decode(Array("{\"version\": 2}".utf8), label: "ref.json") }
    #expect(bare?.message == "ref.json: profile version 2 is not supported (this build reads version 1)")
    let notJSON = #expect(throws: PoisoningError.self) { try DatasetProfile.decode(Array("[1,\n2".utf8), label: "ref.json") }
    #expect(notJSON?.message == "ref.json: not a Bulwark dataset profile (invalid JSON)")
    let counts = #expect(throws: PoisoningError.self) { try ValidationExamples(values: [1, 2, 3], exampleShape: [2], labels: [0, 1]) }
    #expect(counts?.message == "3 values do not make 2 examples of shape [2]")
    let bins = #expect(throws: PoisoningError.self) { try DatasetProfile.make(try tiny(), options: ProfileOptions(histogramBins: 0)) }
    #expect(bins?.code == .invalidParameter)
    let missing = #expect(throws: PoisoningError.self) { try ValidationExamples.load(.arrays(data: "/nonexistent/x.npy", labels: nil)) }
    #expect(missing?.message == "input file not found: /nonexistent/x.npy")
    #expect(DataCheckMethod.spectral.unavailableError.message == "method spectral is not available in this build")
    #expect(DataCheckMethod.all.expanded.count == 5)
    let mismatch = try DataCheck.run(try uniformExamples(10, 4, seed: 1), reference: try DatasetProfile.make(try tiny()))
    #expect(mismatch.findings.map(\.kind) == [.shapeMismatch])
    for error in [wrongVersion, notJSON, counts, bins, missing] { #expect(error?.message.contains("\n") == false) }
}

@Test func validationLoadKeepsNonFiniteValues() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-validation-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try NPY.write(NDArray(shape: [3, 2], storage: .float32([0, 1, .infinity, 0.5, 0.25, 0.75])), path: dir + "/x.npy")
    try NPY.write(NDArray(labels: [0, 1, 1]), path: dir + "/y.npy")
    let x = try ValidationExamples.load(.arrays(data: dir + "/x.npy", labels: dir + "/y.npy"))
    #expect(x.count == 3 && x.classCount == 2)
    #expect(try DatasetProfile.make(x).corrupt.nonFinite == [1])
    try NPY.write(NDArray(shape: [2, 2], storage: .uint8([0, 255, 51, 102])), path: dir + "/u.npy")
    try NPY.write(NDArray(labels: [0, 0]), path: dir + "/v.npy")
    #expect(try ValidationExamples.load(.arrays(data: dir + "/u.npy", labels: dir + "/v.npy")).values == [0, 1, 0.2, 0.4])
}
