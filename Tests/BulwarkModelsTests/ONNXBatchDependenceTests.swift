import Foundation
import Testing
import BulwarkModels
import BulwarkTensor

/// Graphs that pass the load-time dry runs (batches 1, 2 and 3 of zeros) but fail on a larger
/// batch or on particular values: `logits` must never stop the process (a served hostile model
/// would otherwise be a denial of service), must answer rows it can compute, and must give NaN
/// for rows it cannot.
@Suite struct ONNXBatchDependenceTests {
    /// `y = x[0:3]` on the batch axis: the identity for batches up to 3, three rows for more.
    static let sliceOfThree = model(dims: [1, 4], nodes: [("Slice", ["x", "starts", "ends", "axes"], ["y"], "slice")],
                                    initializers: [ONNXOperatorTests.ints("starts", [0]), ONNXOperatorTests.ints("ends", [3]),
                                                   ONNXOperatorTests.ints("axes", [0])])

    /// `y = w[x]`: x's values are indices into a 10-element table (zeros at load time are valid).
    static let lookup: Data = {
        let table = (0..<10).map { Float($0) * 10 }
        let raw = table.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        return model(dims: [1, 4], nodes: [("Gather", ["w", "x"], ["y"], "lookup")],
                     initializers: [{ t in t.int(1, 10); t.int(2, 1); t.string(8, "w"); t.bytesField(9, raw) }])
    }()

    @Test func aGraphThatSlicesTheBatchAxisIsRunRowByRow() throws {
        let m = try ONNXModel(serialized: Self.sliceOfThree)
        let x = Tensor(shape: [5, 4], scalars: (0..<20).map(Float.init))
        #expect(m.logits(x).scalars == x.scalars)   // every row answered, in order, not 3 rows
    }

    @Test func rowsTheGraphCannotComputeAreNaNAndTheOthersAreAnswered() throws {
        let m = try ONNXModel(serialized: Self.lookup)
        let good: [Float] = [1, 2, 3, 4], outOfRange: [Float] = [0, 0, 50, 0], fractional: [Float] = [0.5, 0, 0, 0]
        let out = m.logits(Tensor(shape: [3, 4], scalars: good + outOfRange + fractional))
        #expect(out.shape == [3, 4])
        #expect(Array(out.scalars[0..<4]) == [10, 20, 30, 40])
        #expect(out.scalars[4...].allSatisfy { $0.isNaN })
    }

    @Test func trainingOnABatchTheGraphCannotComputeDivergesInsteadOfCrashing() throws {
        let m = try ONNXModel(serialized: Self.lookup)
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [2, 4], scalars: [0, 0, 50, 0, 1, 1, 1, 1]))
        var context = ForwardContext(training: true)
        let (out, updates) = m.forward(x, parameters: m.parameters.map { tape.variable($0) }, context: &context)
        #expect(out.shape == [2, 4])
        #expect(out.value.scalars.allSatisfy { $0.isNaN })
        #expect(updates.isEmpty)
    }
}
