import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkData

/// CSV tables: RFC 4180 parsing, label columns, one-line errors with line and column, and the
/// standardisation learned on training rows.
@Suite struct CSVDatasetTests {
    func table(_ text: String, labelColumn: String = "label", featureCount: Int? = nil, classCount: Int? = nil) throws(DataError) -> CSVDataset.Table {
        try CSVDataset.decode(Array(text.utf8), label: "t.csv", labelColumn: labelColumn, classCount: classCount, featureCount: featureCount)
    }

    @Test func quotedFieldsFollowRFC4180() throws {
        let parsed = try CSV.parse(Array("a,\"b,c\"\r\n\"x \"\"y\"\"\",\"line\nbreak\"\n\n3,\n".utf8), label: "q.csv")
        #expect(parsed.records == [["a", "b,c"], ["x \"y\"", "line\nbreak"], ["3", ""]])
        #expect(parsed.lines == [1, 2, 5])
        for (text, fault) in [("a,b\"c\n", "line 1, column 4: stray double quote"), ("a,\"b\"c\n", "line 1, column 6: text after the closing quote"),
                              ("a\n\"open,\n", "line 2: quoted field not closed")] {
            #expect(throws: DataError(.malformed, "q.csv: \(fault)" + (fault.hasPrefix("line 2") ? " before the end of the file" : fault.contains("stray") ? " in an unquoted field" : " of a field"))) {
                try CSV.parse(Array(text.utf8), label: "q.csv")
            }
        }
    }

    @Test func integerAndNameLabels() throws {
        let ints = try table("f1,label,f2\n1.5,2,-3\n\"4\", 0 ,5e1\n")
        #expect(ints.dataset.inputs.shape == [2, 2] && ints.dataset.inputs.scalars == [1.5, -3, 4, 50])
        #expect(ints.dataset.labels == [2, 0] && ints.dataset.classCount == 3 && ints.classNames == nil && ints.featureNames == ["f1", "f2"])
        let names = try table("x,label\n1,malignant\n2,benign\n3,malignant\n")
        #expect(names.classNames == ["benign", "malignant"] && names.dataset.labels == [1, 0, 1])
        // test rows use the training classes, even when one class is missing from them
        let test = try CSVDataset.decode(Array("x,label\n1,malignant\n".utf8), label: "test.csv", labelColumn: "label",
                                         classNames: ["benign", "malignant"])
        #expect(test.dataset.labels == [1] && test.dataset.classCount == 2)
        #expect(throws: DataError(.shapeMismatch, "test.csv: line 3: label 'cyst' is not one of the 2 classes")) {
            try CSVDataset.decode(Array("x,label\n1,benign\n2,cyst\n".utf8), label: "test.csv", labelColumn: "label",
                                  classNames: ["benign", "malignant"])
        }
    }

    @Test func badTablesAreOneLineErrorsWithLineAndColumn() {
        let cases: [(String, String, DataError.Code)] = [
            ("a,label\n1,0\nx1,1\n", "t.csv: line 3, column 1 ('a'): 'x1' is not a number", .malformed),
            ("a,b,label\n1,,0\n", "t.csv: line 2, column 2 ('b'): an empty cell is not a number", .malformed),
            ("a,label\n1,0\n2\n", "t.csv: line 3 has 1 fields, the header has 2", .shapeMismatch),
            ("a,label\n1,0\nnan,1\n", "t.csv: line 3, column 1 ('a'): nan (NaN or infinite) in example 1", .malformed),
            ("a,label\n1e39,0\n", "t.csv: line 2, column 1 ('a'): 1e39 (NaN or infinite) in example 0", .malformed),
            ("a,label\n1,-1\n", "t.csv: line 2: label -1 is negative", .shapeMismatch),
            ("a,b\n1,0\n", "t.csv: no column named 'label' in the header (columns: 'a', 'b')", .shapeMismatch),
            ("a,label\n", "t.csv: no data rows after the header (empty dataset)", .shapeMismatch),
            ("", "t.csv: empty file, expected a header row of column names", .shapeMismatch),
        ]
        for (text, message, code) in cases {
            #expect(throws: DataError(code, message)) { try table(text) }
        }
        #expect(throws: DataError(.shapeMismatch, "t.csv: 2 feature columns (besides 'label'), the model expects 3")) {
            try table("a,b,label\n1,2,0\n", featureCount: 3)
        }
        #expect(throws: DataError(.shapeMismatch, "t.csv: line 2: label 4 outside 0..<3")) { try table("a,label\n1,4\n", classCount: 3) }
    }

    @Test func standardisationIsFittedAppliedAndStablyEncoded() throws {
        let x = Tensor(shape: [4, 2], scalars: [1, 5, 2, 5, 3, 5, 6, 5])  // column 2 is constant: std 0
        let s = try FeatureStandardisation.fit(x, featureNames: ["a", "b"])
        #expect(s.mean == [3, 5] && s.std == [(14.0 / 4).squareRoot(), 0])
        let y = try s.apply(to: x)
        #expect(y.scalars[1] == 0 && abs(y.scalars[6] - Float(3 / (3.5).squareRoot())) < 1e-6)
        #expect(throws: DataError.self) { try s.apply(to: Tensor(shape: [1, 3], scalars: [1, 2, 3])) }
        let json = try s.jsonBytes()
        #expect(String(decoding: json, as: UTF8.self) == #"{"featureNames":["a","b"],"mean":[3,5],"std":[1.8708286933869707,0]}"#)
        #expect(try FeatureStandardisation.decodeJSON(json) == s && FeatureStandardisation.decodeJSON(json).jsonBytes() == json)
        #expect(throws: DataError.self) { try FeatureStandardisation.decodeJSON(Array(#"{"mean":[1],"std":[-1]}"#.utf8)) }
    }

    @Test func breastCancerTableFromScikitLearnLoads() throws {
        let loaded = try Dataset.csv(path: fixturePath("breast_cancer.csv"), labelColumn: "target").load()
        #expect(loaded.examples.inputs.shape == [569, 30] && loaded.examples.classCount == 2)
        struct Stats: Decodable { let mean: [Double], std: [Double], classCounts: [Int] }
        let numpy = try JSONDecoder().decode(Stats.self, from: Data(try fixtureBytes("breast_cancer_stats.json")))
        #expect(loaded.examples.classCounts == numpy.classCounts)
        let s = try #require(loaded.standardisation)
        #expect(s.featureNames?.first == "mean radius" && s.featureCount == 30)
        for i in 0..<30 {
            #expect(abs(s.mean[i] - numpy.mean[i]) <= 1e-6 * max(1, abs(numpy.mean[i])), "mean \(i)")
            #expect(abs(s.std[i] - numpy.std[i]) <= 1e-5 * max(1, numpy.std[i]), "std \(i)")
        }
        // standardised columns have mean ≈ 0 and std ≈ 1
        let again = try FeatureStandardisation.fit(loaded.examples.inputs)
        #expect(again.mean.allSatisfy { abs($0) < 1e-5 } && again.std.allSatisfy { abs($0 - 1) < 1e-4 })
        let raw = try Dataset.csv(path: fixturePath("breast_cancer.csv"), labelColumn: "target")
            .load(DatasetLoadOptions(exampleShape: [30], standardise: .apply(s)))
        #expect(raw.examples.inputs == loaded.examples.inputs)
        #expect(throws: DataError.self) {
            try Dataset.csv(path: fixturePath("breast_cancer.csv"), labelColumn: "target").load(DatasetLoadOptions(exampleShape: [29]))
        }
    }
}
