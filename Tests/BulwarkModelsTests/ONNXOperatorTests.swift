import Foundation
import Testing
import BulwarkModels
import BulwarkTensor

/// The operators Bulwark implements itself for ONNX (Slice, Pad, Concat, Gather; they are not
/// BulwarkTensor ops): forward values by hand, pullbacks against central finite differences.
@Suite struct ONNXOperatorTests {
    static func ints(_ name: String, _ v: [Int64]) -> (inout Proto) -> Void {
        { t in t.int(1, Int64(v.count)); t.int(2, 7); for x in v { t.int(7, x) }; t.string(8, name) }
    }

    /// x[N,6] → Transpose → Slice [1:5] → Pad (1 before, 2 after) → Concat with xᵀ → Gather 6 rows → Transpose
    /// (the forged graphs carry no attributes, so every op works on axis 0 between two transposes).
    static let graph: Data = model(dims: [1, 6], nodes: [
        ("Transpose", ["x"], ["xt"], "t1"),
        ("Slice", ["xt", "starts", "ends", "axes"], ["s"], "slice"),
        ("Pad", ["s", "pads"], ["p"], "pad"),
        ("Concat", ["p", "xt"], ["c"], "concat"),
        ("Gather", ["c", "idx"], ["g"], "gather"),
        ("Transpose", ["g"], ["y"], "t2"),
    ], initializers: [ints("starts", [1]), ints("ends", [5]), ints("axes", [0]), ints("pads", [1, 0, 2, 0]),
                      ints("idx", [0, 3, 5, 12, 2, 8])])

    @Test func forwardValues() throws {
        let m = try ONNXModel(serialized: Self.graph)
        #expect(m.classCount == 6)
        let x = Tensor(shape: [1, 6], scalars: [10, 11, 12, 13, 14, 15])
        // slice → [11,12,13,14]; pad → [0,11,12,13,14,0,0]; concat → that ++ x (13 values);
        // gather columns 0, 3, 5, 12, 2, 8.
        #expect(m.logits(x).scalars == [0, 13, 0, 15, 12, 11])
    }

    @Test func pullbacksMatchFiniteDifferences() throws {
        let m = try ONNXModel(serialized: Self.graph)
        let x = Tensor(shape: [2, 6], scalars: (0..<12).map { Float($0) * 0.37 - 2 })
        let labels = [1, 4]
        let (_, g) = m.lossAndInputGradient(x, labels: labels)
        let h: Float = 1e-2
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (m.lossAndInputGradient(plus, labels: labels).loss - m.lossAndInputGradient(minus, labels: labels).loss) / (2 * h)
            #expect(abs(numeric - g.scalars[i]) <= 2e-3 + 1e-2 * abs(numeric), "element \(i): \(g.scalars[i]) vs \(numeric)")
        }
    }

    /// MatMul of a 3-D value by a 2-D weight: x[N,6] → Reshape [N,2,3] → MatMul W[3,2] → Reshape [N,4].
    @Test func matMulFoldsLeadingAxes() throws {
        let w: [Float] = [1, -2, 0.5, 3, -1, 4]  // 3 × 2
        let weight: (inout Proto) -> Void = { t in
            t.int(1, 3); t.int(1, 2); t.int(2, 1)
            t.bytesField(9, w.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
            t.string(8, "w")
        }
        let graph = model(dims: [1, 6], nodes: [
            ("Reshape", ["x", "s3"], ["x3"], "r1"),
            ("MatMul", ["x3", "w"], ["m"], "mm"),
            ("Reshape", ["m", "s2"], ["y"], "r2"),
        ], initializers: [Self.ints("s3", [0, 2, 3]), weight, Self.ints("s2", [0, 4])])
        let m = try ONNXModel(serialized: graph)
        #expect(m.classCount == 4)
        let x = Tensor(shape: [2, 6], scalars: (0..<12).map { Float($0) - 5 })
        let y = m.logits(x)
        var expected: [Float] = []
        for n in 0..<2 { for r in 0..<2 { for c in 0..<2 {
            expected.append((0..<3).reduce(Float(0)) { $0 + x.scalars[n * 6 + r * 3 + $1] * w[$1 * 2 + c] })
        } } }
        #expect(y.scalars == expected)
    }

    /// A graph that computes a huge shape at run time (ConstantOfShape of 2^20 × 2^20) is refused
    /// at load time, before anything that size is allocated.
    @Test func constantOfShapeHugeShapeIsRefused() {
        let graph = model(dims: [1, 4], nodes: [
            ("ConstantOfShape", ["s"], ["c"], "big"),
            ("Add", ["x", "c"], ["y"], "add"),
        ], initializers: [Self.ints("s", [1 << 20, 1 << 20])])
        do {
            _ = try ONNXModel(serialized: graph)
            Issue.record("a 2^40-element ConstantOfShape loaded")
        } catch {
            #expect(error.code == .shapeMismatch)
            #expect(error.message.contains("'big'") && error.message.contains("too large"))
        }
    }

    static func floats(_ name: String, _ dims: [Int64], _ v: [Float]) -> (inout Proto) -> Void {
        { t in
            for d in dims { t.int(1, d) }
            t.int(2, 1)
            t.bytesField(9, v.flatMap { x in withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) } })
            t.string(8, name)
        }
    }

    /// Batched MatMul with broadcast batch axes, the graph input on the left (x4: [N,2,2,3] × W[2,3,2])
    /// or on the right (V[2,3] × x4: [N,2,3,2]): values by hand, pullbacks by finite differences.
    @Test(arguments: [false, true])
    func batchedMatMulBroadcasts(inputOnRight: Bool) throws {
        let w: [Float] = (0..<12).map { Float($0 % 5) * 0.5 - 1 }   // W: 2 × 3 × 2
        let v: [Float] = [0.5, -1, 2, 1.5, 0, -0.5]                   // V: 2 × 3
        let graph = model(dims: [1, 12], nodes: [
            ("Reshape", ["x", "s4"], ["x4"], "r1"),
            ("MatMul", inputOnRight ? ["v", "x4"] : ["x4", "w"], ["m"], "mm"),
            ("Reshape", ["m", "s2"], ["y"], "r2"),
        ], initializers: [Self.ints("s4", inputOnRight ? [0, 2, 3, 2] : [0, 2, 2, 3]), Self.floats("w", [2, 3, 2], w),
                          Self.floats("v", [2, 3], v), Self.ints("s2", [0, 8])])
        let m = try ONNXModel(serialized: graph)
        #expect(m.classCount == 8)
        let x = Tensor(shape: [2, 12], scalars: (0..<24).map { Float($0) * 0.21 - 2.3 })
        let y = m.logits(x)
        var expected: [Float] = []
        for n in 0..<2 { for bt in 0..<2 { for r in 0..<2 { for c in 0..<2 {
            expected.append((0..<3).reduce(Float(0)) { acc, j in
                inputOnRight
                    ? acc + v[r * 3 + j] * x.scalars[n * 12 + bt * 6 + j * 2 + c]
                    : acc + x.scalars[n * 12 + bt * 6 + r * 3 + j] * w[bt * 6 + j * 2 + c]
            })
        } } } }
        let worst = zip(y.scalars, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5)
        let labels = [1, 6]
        let (_, g) = m.lossAndInputGradient(x, labels: labels)
        let h: Float = 1e-2
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (m.lossAndInputGradient(plus, labels: labels).loss - m.lossAndInputGradient(minus, labels: labels).loss) / (2 * h)
            #expect(abs(numeric - g.scalars[i]) <= 2e-3 + 1e-2 * abs(numeric), "element \(i): \(g.scalars[i]) vs \(numeric)")
        }
    }
}
