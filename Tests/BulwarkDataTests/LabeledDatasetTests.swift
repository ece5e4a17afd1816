import BulwarkData
import BulwarkTensor
import Testing

/// n examples of shape [2]; example i holds (i, -i) so rows can be traced back.
private func traceable(_ n: Int, classes: Int = 3) throws -> LabeledDataset {
    let scalars = (0..<n).flatMap { [Float($0), -Float($0)] }
    return try LabeledDataset(inputs: Tensor(shape: [n, 2], scalars: scalars), labels: (0..<n).map { $0 % classes }, classCount: classes)
}

@Test func validatesLabels() throws {
    let x = Tensor.zeros([3, 2])
    #expect((#expect(throws: DataError.self) { try LabeledDataset(inputs: x, labels: [0, 1], classCount: 2) })?.code == .shapeMismatch)
    let outside = #expect(throws: DataError.self) { try LabeledDataset(inputs: x, labels: [0, 1, 2], classCount: 2) }
    #expect(outside?.message.contains("label 2 of example 2") == true)
    #expect(throws: DataError.self) { try LabeledDataset(inputs: x, labels: [0, -1, 0], classCount: 2) }
}

@Test func batchesCoverEveryExampleOnceAndKeepThePartialBatch() throws {
    let data = try traceable(10)
    let batches = Array(data.batches(size: 3, shuffleSeed: 42))
    #expect(batches.map(\.labels.count) == [3, 3, 3, 1])
    #expect(data.batches(size: 3).count == 4)
    let seen = batches.flatMap { $0.inputs.scalars.enumerated().filter { $0.offset % 2 == 0 }.map { Int($0.element) } }
    #expect(seen.sorted() == Array(0..<10))
    #expect(seen != Array(0..<10))
    for batch in batches {
        let ids = batch.inputs.scalars.enumerated().filter { $0.offset % 2 == 0 }.map { Int($0.element) }
        #expect(batch.labels == ids.map { $0 % 3 })
        #expect(batch.inputs.shape == [batch.labels.count, 2])
    }
    let again = Array(data.batches(size: 3, shuffleSeed: 42))
    #expect(again.map(\.labels) == batches.map(\.labels) && again.map(\.inputs) == batches.map(\.inputs))
    let other = Array(data.batches(size: 3, shuffleSeed: 43))
    #expect(other.map(\.inputs) != batches.map(\.inputs))
    let ordered = Array(data.batches(size: 4))
    #expect(ordered.map(\.labels) == [[0, 1, 2, 0], [1, 2, 0, 1], [2, 0]])
}

@Test func splitIsSeededDisjointAndComplete() throws {
    let data = try traceable(20)
    let (train, test) = data.split(testFraction: 0.25, seed: 5)
    #expect(train.count == 15 && test.count == 5)
    let ids = (train.inputs.scalars + test.inputs.scalars).enumerated().filter { $0.offset % 2 == 0 }.map { Int($0.element) }
    #expect(ids.sorted() == Array(0..<20))
    let (train2, test2) = data.split(testFraction: 0.25, seed: 5)
    #expect(train2 == train && test2 == test)
    #expect(data.split(testFraction: 0.25, seed: 6).test != test)
    #expect(data.split(testFraction: 0, seed: 1).test.count == 0)
}

@Test func prefixAndClassCounts() throws {
    let data = try traceable(7)
    #expect(data.classCounts == [3, 2, 2])
    #expect(data.prefix(4).labels == [0, 1, 2, 0])
    #expect(data.prefix(4).inputs.shape == [4, 2])
    #expect(data.prefix(100).count == 7)
    #expect(data.prefix(-1).count == 0)
    #expect(data.exampleShape == [2])
}
